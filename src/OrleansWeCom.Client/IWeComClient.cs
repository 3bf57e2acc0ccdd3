using System.Text.Json.Nodes;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Client;

/// <summary>
/// The cluster client's typed entry point for the operator's internal services. Every call acts for one tenant:
/// an account, container, conversation or room of another tenant is answered as not found.
/// </summary>
public interface IWeComClient
{
    IWeComTenantClient ForTenant(TenantId tenant);
}

/// <summary>One send of a bulk call; <see cref="IdempotencyKey"/> makes a repeated call answer the first msgId.</summary>
public sealed record BulkSend(SendKind Kind, JsonObject Body, string IdempotencyKey)
{
    public static BulkSend Text(WxId wxId, string conversationId, string content, string idempotencyKey) =>
        new(SendKind.Text, new JsonObject { ["wxId"] = wxId.Value, ["conversationId"] = conversationId, ["content"] = content }, idempotencyKey);
}

/// <summary>What became of one item of a bulk send: its msgId, or the envelope's code and message.</summary>
public sealed record BulkSendResult(int Index, string? MsgId, int Code, string Message)
{
    public bool Accepted => Code == ErrorCodes.Ok;
}

/// <summary>What a tenant's internal service may do through the cluster client.</summary>
public interface IWeComTenantClient
{
    TenantId Tenant { get; }

    /// <summary>The tenant's containers and the accounts logged in to them (<c>inner/user/wx/list</c>).</summary>
    Task<IReadOnlyList<ContainerView>> ListAccountsAsync(bool onlineOnly = false, CancellationToken cancellationToken = default);

    Task<ContainerView> GetContainerAsync(HostName hostName, CancellationToken cancellationToken = default);

    /// <summary>The container an account of the tenant runs in, with its state.</summary>
    Task<ContainerView> GetAccountAsync(WxId wxId, CancellationToken cancellationToken = default);

    Task<CreatedContainer> CreateContainerAsync(string userId, CancellationToken cancellationToken = default);

    Task<QrCodeImage> GetQrCodeAsync(HostName hostName, CancellationToken cancellationToken = default);

    Task<VerifyResult> VerifyAsync(HostName hostName, string? key, string code, CancellationToken cancellationToken = default);

    Task StopAsync(HostName hostName, CancellationToken cancellationToken = default);

    Task StartAsync(HostName hostName, CancellationToken cancellationToken = default);

    Task RemoveAsync(HostName hostName, CancellationToken cancellationToken = default);

    Task RestartAsync(HostName hostName, CancellationToken cancellationToken = default);

    /// <summary>One send with the seed's body for <paramref name="kind"/>; refused with the same code and message as HTTP.</summary>
    Task<string> SendAsync(SendKind kind, JsonObject body, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Many sends over many accounts, one result per item in order; an item refused does not stop the others. Items of
    /// one account are queued in their order; a repeated call with the same keys queues nothing again.
    /// </summary>
    Task<IReadOnlyList<BulkSendResult>> SendManyAsync(IReadOnlyList<BulkSend> sends, CancellationToken cancellationToken = default);

    Task<SendStatus> GetSendStatusAsync(WxId wxId, string msgId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(WxId wxId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(WxId wxId, string conversationId, int limit = 50, CancellationToken cancellationToken = default);

    /// <summary>A room the tenant has an account in, showing only the tenant's accounts.</summary>
    Task<GroupView> GetGroupAsync(string roomConversationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every event of the tenant after <paramref name="afterTenantSeq"/>, then each new one as it is stored, in the
    /// tenant's order; resume with the last <see cref="LoggedEvent.TenantSeq"/> seen.
    /// </summary>
    IAsyncEnumerable<LoggedEvent> SubscribeAsync(long afterTenantSeq = 0, CancellationToken cancellationToken = default);

    /// <summary>The same for one account of the tenant, after its <see cref="LoggedEvent.Seq"/>.</summary>
    IAsyncEnumerable<LoggedEvent> SubscribeAccountAsync(WxId wxId, long afterSeq = 0, CancellationToken cancellationToken = default);
}

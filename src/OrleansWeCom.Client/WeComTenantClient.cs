using System.Text.Json.Nodes;

namespace OrleansWeCom.Client;

/// <summary>
/// The facade for one tenant. It calls the grains the HTTP handlers call and checks ownership the same way, so an id of
/// another tenant is not found; sends go through <see cref="IAccountGrain.EnqueueForAsync"/>, which checks the tenant and
/// that the account is online and keeps idempotency keys per tenant in the outbox.
/// </summary>
internal sealed partial class WeComTenantClient(IClusterClient cluster, TenantId tenant, WeComClientOptions options, TimeProvider time) : IWeComTenantClient
{
    public const int MaxIdempotencyKeyLength = 128;

    public TenantId Tenant => tenant;

    private ITenantGrain TenantGrain => cluster.GetGrain<ITenantGrain>(tenant.Value);

    public async Task<IReadOnlyList<ContainerView>> ListAccountsAsync(bool onlineOnly = false, CancellationToken cancellationToken = default)
    {
        var names = await TenantGrain.GetContainersAsync().WaitAsync(cancellationToken);
        var views = await Task.WhenAll(names.Select(n => cluster.GetGrain<IContainerGrain>(n.Value).GetAsync()));
        // A name the host gave to another tenant's container since is listed by the tenant's grain but is not the tenant's.
        return views.OfType<ContainerView>().Where(v => v.Tenant == tenant && (!onlineOnly || v.Status == ContainerStatus.Online)).ToList();
    }

    public async Task<ContainerView> GetContainerAsync(HostName hostName, CancellationToken cancellationToken = default) =>
        (await OwnedContainerAsync(hostName, cancellationToken)).View;

    public async Task<ContainerView> GetAccountAsync(WxId wxId, CancellationToken cancellationToken = default)
    {
        var binding = await cluster.GetGrain<IAccountGrain>(wxId.Value).GetBindingAsync().WaitAsync(cancellationToken);
        if (binding is null || binding.Tenant != tenant) throw AccountNotFound(wxId);
        var view = await cluster.GetGrain<IContainerGrain>(binding.HostName.Value).GetAsync().WaitAsync(cancellationToken);
        return view is not null && view.Tenant == tenant ? view : throw AccountNotFound(wxId);
    }

    public Task<CreatedContainer> CreateContainerAsync(string userId, CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IContainerProvisioningGrain>(0).CreateAsync(tenant, userId).WaitAsync(cancellationToken);

    public Task<QrCodeImage> GetQrCodeAsync(HostName hostName, CancellationToken cancellationToken = default) =>
        cluster.GetGrain<IContainerProvisioningGrain>(0).GetQrCodeAsync(tenant, hostName).WaitAsync(cancellationToken);

    public async Task<VerifyResult> VerifyAsync(HostName hostName, string? key, string code, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(code)) throw WeComException.BadRequest("code is required");
        var (grain, _) = await OwnedContainerAsync(hostName, cancellationToken);
        return await grain.VerifyAsync(key, code.Trim()).WaitAsync(cancellationToken);
    }

    public Task StopAsync(HostName hostName, CancellationToken cancellationToken = default) => OnContainer(hostName, c => c.StopAsync(), cancellationToken);

    public Task StartAsync(HostName hostName, CancellationToken cancellationToken = default) => OnContainer(hostName, c => c.StartAsync(), cancellationToken);

    public Task RemoveAsync(HostName hostName, CancellationToken cancellationToken = default) => OnContainer(hostName, c => c.RemoveAsync(), cancellationToken);

    public Task RestartAsync(HostName hostName, CancellationToken cancellationToken = default) => OnContainer(hostName, c => c.RestartAsync(), cancellationToken);

    public async Task<string> SendAsync(SendKind kind, JsonObject body, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        CheckKey(idempotencyKey, required: false);
        var parsed = Parse(kind, body);
        return await cluster.GetGrain<IAccountGrain>(parsed.WxId.Value)
            .EnqueueForAsync(tenant, parsed.Message, idempotencyKey).WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<BulkSendResult>> SendManyAsync(IReadOnlyList<BulkSend> sends, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sends);
        if (sends.Count > options.MaxBulkItems)
            throw new WeComException(ErrorCodes.PayloadTooLarge, $"a bulk send takes at most {options.MaxBulkItems} items, got {sends.Count}");

        var results = new BulkSendResult?[sends.Count];
        var byAccount = new Dictionary<WxId, List<(int Index, OutboundMessage Message, string Key)>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sends.Count; i++)
        {
            try
            {
                var item = sends[i] ?? throw WeComException.BadRequest("a bulk item is null");
                CheckKey(item.IdempotencyKey, required: true);
                if (!keys.Add(item.IdempotencyKey)) throw WeComException.BadRequest($"idempotency key '{item.IdempotencyKey}' is given twice in this call");
                var parsed = Parse(item.Kind, item.Body ?? throw WeComException.BadRequest("a JSON request body is required"));
                if (!byAccount.TryGetValue(parsed.WxId, out var queue)) byAccount[parsed.WxId] = queue = [];
                queue.Add((i, parsed.Message, item.IdempotencyKey));
            }
            catch (WeComException e)
            {
                results[i] = new BulkSendResult(i, null, e.Code, e.Message);
            }
        }

        // Accounts side by side, each account's items in order: the account grain takes one at a time anyway.
        await Parallel.ForEachAsync(byAccount, new ParallelOptions { MaxDegreeOfParallelism = options.BulkConcurrency, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                var account = cluster.GetGrain<IAccountGrain>(pair.Key.Value);
                foreach (var (index, message, key) in pair.Value)
                {
                    try
                    {
                        var msgId = await account.EnqueueForAsync(tenant, message, key).WaitAsync(ct);
                        results[index] = new BulkSendResult(index, msgId, ErrorCodes.Ok, "");
                    }
                    catch (WeComException e)
                    {
                        results[index] = new BulkSendResult(index, null, e.Code, e.Message);
                    }
                }
            });
        return results.Select((r, i) => r ?? new BulkSendResult(i, null, ErrorCodes.Internal, "not attempted")).ToList();
    }

    public async Task<SendStatus> GetSendStatusAsync(WxId wxId, string msgId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(msgId)) throw WeComException.BadRequest("msgId is required");
        await OwnedAccountAsync(wxId, cancellationToken);
        var status = await cluster.GetGrain<IAccountGrain>(wxId.Value).GetStatusAsync(msgId).WaitAsync(cancellationToken);
        return status ?? throw WeComException.NotFound($"message '{msgId}' not found");
    }

    public async Task<IReadOnlyList<ConversationSummary>> ListConversationsAsync(WxId wxId, CancellationToken cancellationToken = default)
    {
        await OwnedAccountAsync(wxId, cancellationToken);
        var ids = await cluster.GetGrain<IAccountConversationsGrain>(wxId.Value).GetAsync().WaitAsync(cancellationToken);
        var summaries = await Task.WhenAll(ids.Select(c => cluster.GetGrain<IConversationGrain>(IConversationGrain.Key(wxId, c)).GetSummaryAsync()));
        return summaries.OfType<ConversationSummary>().Where(s => s.Tenant == tenant).OrderByDescending(s => s.LastActivity).ToList();
    }

    public async Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(WxId wxId, string conversationId, int limit = 50, CancellationToken cancellationToken = default)
    {
        if (limit <= 0) throw WeComException.BadRequest($"limit must be a positive number, got '{limit}'");
        await OwnedAccountAsync(wxId, cancellationToken);
        if (!ConversationId.TryParse(conversationId, wxId, out var id, out var error)) throw WeComException.BadRequest(error);
        var grain = cluster.GetGrain<IConversationGrain>(IConversationGrain.Key(wxId, id));
        var summary = await grain.GetSummaryAsync().WaitAsync(cancellationToken);
        if (summary is null || summary.Tenant != tenant) return [];
        return await grain.GetMessagesAsync(limit).WaitAsync(cancellationToken);
    }

    public async Task<GroupView> GetGroupAsync(string roomConversationId, CancellationToken cancellationToken = default)
    {
        if (!ConversationId.TryParse(roomConversationId, null, out var room, out var error) || !room.IsRoom)
            throw WeComException.BadRequest(error.Length > 0 ? error : $"conversationId '{roomConversationId}' is not a room id of the form R:<digits>");
        var view = await cluster.GetGrain<IGroupGrain>(room.RoomId!).GetAsync().WaitAsync(cancellationToken);
        if (view is null || view.Accounts.All(a => a.Tenant != tenant)) throw WeComException.NotFound($"room '{room}' not found");
        return view with { Accounts = view.Accounts.Where(a => a.Tenant == tenant).ToList() };
    }

    private static SendRequestParser.ParsedSend Parse(SendKind kind, JsonObject body)
    {
        // The same checks HTTP makes on a body it read: names given twice, then the kind's rules (on a copy).
        var copy = SendRequestParser.ParseObject(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        return SendRequestParser.Parse(kind, copy);
    }

    private static void CheckKey(string? key, bool required)
    {
        if (string.IsNullOrEmpty(key))
        {
            if (required) throw WeComException.BadRequest("every bulk item needs an idempotency key");
            return;
        }

        if (key.Length > MaxIdempotencyKeyLength) throw WeComException.BadRequest($"Idempotency-Key is longer than {MaxIdempotencyKeyLength} characters");
    }

    private async Task OwnedAccountAsync(WxId wxId, CancellationToken cancellationToken)
    {
        var accounts = await TenantGrain.GetAccountsAsync().WaitAsync(cancellationToken);
        if (!accounts.Contains(wxId)) throw AccountNotFound(wxId);
    }

    private async Task<(IContainerGrain Grain, ContainerView View)> OwnedContainerAsync(HostName hostName, CancellationToken cancellationToken)
    {
        var grain = cluster.GetGrain<IContainerGrain>(hostName.Value);
        var view = await grain.GetAsync().WaitAsync(cancellationToken);
        if (view is null || view.Tenant != tenant) throw WeComException.NotFound($"container '{hostName}' not found");
        return (grain, view);
    }

    private async Task OnContainer(HostName hostName, Func<IContainerGrain, Task> command, CancellationToken cancellationToken)
    {
        var (grain, _) = await OwnedContainerAsync(hostName, cancellationToken);
        await command(grain).WaitAsync(cancellationToken);
    }

    private static WeComException AccountNotFound(WxId wxId) => WeComException.NotFound($"account '{wxId}' not found");
}

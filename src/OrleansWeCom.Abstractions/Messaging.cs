namespace OrleansWeCom;

/// <summary>The send endpoints of seed 000; each maps to one host path.</summary>
public enum SendKind
{
    Text, RoomAt, Image, File, Gif, Video, Voice, PersonCard, Link, MiniProgram, VideoNum, Quote, MiniProgramById, VideoNumById,
}

public static class SendKinds
{
    /// <summary>The path under <c>/gnapi/open/</c>, the same on our API and on the host's.</summary>
    public static string Path(this SendKind kind) => kind switch
    {
        SendKind.Text => "msg/text",
        SendKind.RoomAt => "msg/roomAt",
        SendKind.Image => "msg/image",
        SendKind.File => "msg/file",
        SendKind.Gif => "msg/gif",
        SendKind.Video => "msg/video",
        SendKind.Voice => "msg/voice",
        SendKind.PersonCard => "msg/personCard",
        SendKind.Link => "msg/link",
        SendKind.MiniProgram => "msg/miniProgram",
        SendKind.VideoNum => "msg/videoNum",
        SendKind.Quote => "msg/quote",
        SendKind.MiniProgramById => "miniProgram/send",
        SendKind.VideoNumById => "videonum/send",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The MQTT <c>type</c> names of seed 000.</summary>
    public static bool TryParseMqttType(string? type, out SendKind kind)
    {
        kind = default;
        switch (type?.Trim().ToLowerInvariant())
        {
            case "text": kind = SendKind.Text; return true;
            case "image": kind = SendKind.Image; return true;
            case "personcard": kind = SendKind.PersonCard; return true;
            case "link": kind = SendKind.Link; return true;
            case "file": kind = SendKind.File; return true;
            case "video": kind = SendKind.Video; return true;
            case "miniprogram": kind = SendKind.MiniProgram; return true;
            case "roomat": kind = SendKind.RoomAt; return true;
            case "gif": kind = SendKind.Gif; return true;
            case "videonum": kind = SendKind.VideoNum; return true;
            case "voice": kind = SendKind.Voice; return true;
            case "quote": kind = SendKind.Quote; return true;
            default: return false;
        }
    }
}

/// <summary>
/// A validated send: the kind, the conversation and the host request body (the seed's JSON, <c>wxId</c> and
/// <c>conversationId</c> included), kept as text so every kind travels and persists the same way.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.OutboundMessage")]
public sealed record OutboundMessage(
    [property: Id(0)] SendKind Kind,
    [property: Id(1)] ConversationId ConversationId,
    [property: Id(2)] string BodyJson);

/// <summary>
/// Where an accepted send is. <see cref="Unknown"/> is final: the host was called but no answer came back (a timeout,
/// a broken connection, a silo lost mid-call), so the message may or may not have been delivered. It is not sent
/// again, because the host does not de-duplicate and a second copy is what customers and WeCom punish.
/// </summary>
public enum SendState { Queued, Sending, Sent, Failed, Unknown }

/// <summary>What <c>msg/status</c> tells about one accepted send.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.SendStatus")]
public sealed record SendStatus(
    [property: Id(0)] string MsgId,
    [property: Id(1)] WxId WxId,
    [property: Id(2)] SendKind Kind,
    [property: Id(3)] string ConversationId,
    [property: Id(4)] SendState State,
    [property: Id(5)] int Attempts,
    [property: Id(6)] DateTimeOffset EnqueuedAt,
    [property: Id(7)] DateTimeOffset? LastAttemptAt,
    [property: Id(8)] DateTimeOffset? SettledAt,
    [property: Id(9)] string? HostMsgId,
    [property: Id(10)] int? ErrorCode,
    [property: Id(11)] string? ErrorMessage);

/// <summary>The outcome of settling a host echo: which of our sends it was, if any.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.Settlement")]
public sealed record Settlement([property: Id(0)] string MsgId, [property: Id(1)] bool Final);

/// <summary>
/// What an account needs of the container it runs in: where its sends go, for which tenant, whether it is online and
/// which corp's budget it spends. The container grain keeps the life cycle itself and reports this when it changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.AccountBinding")]
public sealed record AccountBinding(
    [property: Id(0)] HostName HostName,
    [property: Id(1)] string HostKey,
    [property: Id(2)] TenantId Tenant,
    [property: Id(3)] string UserId,
    [property: Id(4)] ContainerStatus Status,
    [property: Id(5)] CorpId? CorpId)
{
    public static AccountBinding Of(ContainerView container) =>
        new(container.HostName, container.HostKey, container.Tenant, container.UserId, container.Status, container.Profile?.CorpId);
}

/// <summary>
/// One logged-in WeCom account (keyed by wxId): its binding to the container it runs in, the outbox of accepted
/// sends, the 500 ms pacing and its lease of the corp's hourly budget.
/// </summary>
[Alias("OrleansWeCom.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    /// <summary>The container grain reports the account's binding whenever it changes.</summary>
    [Alias("Bind")] Task BindAsync(AccountBinding binding);

    [AlwaysInterleave, Alias("GetBinding")] Task<AccountBinding?> GetBindingAsync();

    /// <summary>Persists the send in the outbox and returns its msgId; the same idempotency key returns the same msgId.</summary>
    [Alias("Enqueue")] Task<string> EnqueueAsync(OutboundMessage message, string? idempotencyKey);

    /// <summary>
    /// <see cref="EnqueueAsync"/> on behalf of a tenant, in one call: refused as not found unless the account runs in a
    /// container of <paramref name="tenant"/>, and as the wrong state unless it is online.
    /// </summary>
    [Alias("EnqueueFor")] Task<string> EnqueueForAsync(TenantId tenant, OutboundMessage message, string? idempotencyKey);

    /// <summary>Enqueues many sends at once (one write); returns their msgIds in order.</summary>
    [Alias("EnqueueMany")] Task<IReadOnlyList<string>> EnqueueManyAsync(IReadOnlyList<OutboundMessage> messages);

    [AlwaysInterleave, Alias("GetStatus")] Task<SendStatus?> GetStatusAsync(string msgId);

    /// <summary>
    /// The host's outbound echo (<c>is_pc</c> 1) with <c>sendMsgId</c> and <c>error_code</c> settles a send. An echo
    /// whose <c>sendMsgId</c> the account never learned (the host's answer was lost) settles a recent send of unknown
    /// outcome to the same conversation, with the same text when it has one.
    /// </summary>
    [Alias("Settle")] Task<Settlement?> SettleAsync(string hostMsgId, int errorCode, string? errorMessage, string? conversationId, string? content);

    [AlwaysInterleave, Alias("QueueLength")] Task<int> GetQueueLengthAsync();
}

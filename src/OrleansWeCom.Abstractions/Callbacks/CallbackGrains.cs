namespace OrleansWeCom.Callbacks;

/// <summary>A stored callback as it travels from the inbox to its router: the inbox row id, the posting host and the raw body.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.InboxCallback")]
public sealed record InboxCallback(
    [property: Id(0)] long Id,
    [property: Id(1)] string HostKey,
    [property: Id(2)] string Body,
    [property: Id(3)] long ReceivedAt,
    [property: Id(4)] string? TraceParent = null);

/// <summary>
/// Callbacks of one stream, in inbox order. <see cref="Again"/>: a delivery again, which holds every row of the stream
/// delivered and not yet marked processed, from the oldest.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.CallbackBatch")]
public sealed record CallbackBatch([property: Id(0)] IReadOnlyList<InboxCallback> Items, [property: Id(1)] bool Again = false);

public enum CallbackOutcome
{
    Applied = 1,

    /// <summary>No container of ours has the callback's source: stored and logged, not delivered.</summary>
    UnknownContainer = 2,

    /// <summary>The posting host does not run the container named as source.</summary>
    WrongHost = 3,

    /// <summary>The stored body no longer parses; kept in the inbox for inspection.</summary>
    Failed = 4,

    /// <summary>A send echo for a send of ours that the account retries: not a final result, not delivered.</summary>
    Superseded = 5,
}

/// <summary>
/// Marks inbox rows processed once every effect of their callbacks is durable. Implemented over the inbox database;
/// a row never marked is applied again after a restart (every apply is idempotent).
/// </summary>
public interface ICallbackAcknowledger
{
    void Acknowledge(IReadOnlyList<long> inboxIds, CallbackOutcome outcome);
}

/// <summary>
/// Applies one container's callbacks in order (keyed by the container hostname; its stream delivers them one batch at a
/// time) and fans them out to the container, account, conversation and group grains, then to the tenant.
/// </summary>
[Alias("OrleansWeCom.ICallbackRouterGrain")]
public interface ICallbackRouterGrain : IGrainWithStringKey
{
    [Alias("Apply")] Task ApplyAsync(CallbackBatch batch);
}

/// <summary>
/// The callbacks' Orleans stream: a persistent stream provider whose queues are the inbox table. An account's messages
/// and room events travel on the account's stream (keyed by its wxid), everything else of a container (login, QR code,
/// offline) on the container's stream (keyed by its hostname). A router grain per stream subscribes implicitly; internal
/// services may subscribe to an account's stream from a cluster client. A stream sits in one queue, so one silo reads
/// it, in inbox order.
/// </summary>
public static class CallbackStreams
{
    public const string Provider = "wecom-callbacks";
    public const string Namespace = "callbacks";

    /// <summary>
    /// The service key of the clock the inbox stamps arrivals with and by which its queue readers and the routers time
    /// re-deliveries and holds (one clock, because the holds compare with the stamps). The host's TimeProvider unless a
    /// test registers its own under this key.
    /// </summary>
    public const string Clock = "wecom-callbacks-clock";

    /// <summary>How long the pulling agent retries a batch a router cannot apply before leaving it to the inbox's redelivery.</summary>
    public static readonly TimeSpan AgentDeliveryTime = TimeSpan.FromMinutes(5);

    /// <summary>The key of the stream <paramref name="e"/> travels on.</summary>
    public static string KeyOf(CallbackEnvelope e) =>
        e.Data is MessageData or RoomEventData && e.WxId is { } account ? account.Value : e.Source.Value;

    /// <summary>
    /// The queue a stream's callbacks are stored in and read from: FNV-1a over the key's UTF-8 bytes, the same on every
    /// silo and in every version (the stored rows carry it).
    /// </summary>
    public static int QueueOf(string streamKey, int queues)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(streamKey)) hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)queues);
    }
}

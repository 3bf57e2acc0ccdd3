namespace OrleansWeCom.Callbacks;

/// <summary>A stored callback as it travels from the inbox to its router: the inbox row id, the posting host and the raw body.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.InboxCallback")]
public sealed record InboxCallback(
    [property: Id(0)] long Id,
    [property: Id(1)] string HostKey,
    [property: Id(2)] string Body,
    [property: Id(3)] long ReceivedAt);

/// <summary>Callbacks of one container, in inbox order.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.CallbackBatch")]
public sealed record CallbackBatch([property: Id(0)] IReadOnlyList<InboxCallback> Items);

public enum CallbackOutcome
{
    Applied = 1,

    /// <summary>No container of ours has the callback's source: stored and logged, not delivered.</summary>
    UnknownContainer = 2,

    /// <summary>The posting host does not run the container named as source.</summary>
    WrongHost = 3,

    /// <summary>Applying failed repeatedly; kept in the inbox for inspection.</summary>
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
/// Applies one container's callbacks in order (keyed by the container hostname; the inbox's dispatcher calls it one batch
/// at a time) and fans them out to the container, account, conversation and group grains, then to the tenant.
/// </summary>
[Alias("OrleansWeCom.ICallbackRouterGrain")]
public interface ICallbackRouterGrain : IGrainWithStringKey
{
    [Alias("Apply")] Task ApplyAsync(CallbackBatch batch);
}

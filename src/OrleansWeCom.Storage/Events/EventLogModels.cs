using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Storage.Events;

/// <summary>Where an event stands with the tenant's webhook.</summary>
public enum DeliveryState : short
{
    Pending = 0,
    Delivered = 1,
    Dead = 2,
    /// <summary>A dead letter the tenant asked to re-send; found by its state, wherever the cursor is.</summary>
    Replay = 3,
}

/// <summary>A row of the log as the delivery loop needs it, with its retry state (failed attempts, when to try next).</summary>
public sealed record StoredEvent(LoggedEvent Entry, DeliveryState State, long? ReplayedAt, int Attempts = 0, long? NextAttemptAt = null, string? LastError = null)
{
    /// <summary>The delivery lane: the event's conversation, or <c>account:{account}</c> for events outside conversations.</summary>
    public string Lane => LaneOf(Entry);

    public static string LaneOf(LoggedEvent entry) =>
        entry.Event.ConversationId is { Length: > 0 } conversation ? conversation : "account:" + entry.Account;
}

/// <summary>A tenant's webhook as stored next to the log, with the delivery cursor.</summary>
/// <param name="Watermark">Every event of the tenant up to this tenant sequence number is delivered, dead, or not for this webhook.</param>
public sealed record WebhookRecord(TenantId Tenant, string Url, string Secret, long Watermark, long UpdatedAt);

/// <summary>
/// A page read from the log, in order. <see cref="More"/> is true when the read stopped at
/// <see cref="EventLogOptions.MaxReadBytes"/> before its row limit: rows follow the last one even though the page is short.
/// </summary>
public sealed class EventPage<T>(List<T> rows, bool more) : IReadOnlyList<T>
{
    public List<T> Rows => rows;

    public bool More => more;

    public int Count => rows.Count;

    public T this[int index] => rows[index];

    public IEnumerator<T> GetEnumerator() => rows.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

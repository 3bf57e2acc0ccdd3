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

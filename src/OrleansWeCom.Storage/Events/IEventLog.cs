using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Storage.Events;

/// <summary>
/// The append-only log of every event delivered to tenants: the read-back cursor for tenants and the persistent
/// queue of webhook delivery. Appends are batched, many events per transaction.
/// </summary>
/// <remarks>
/// Every read stops after the event that reaches <see cref="EventLogOptions.MaxReadBytes"/> of event data, whatever its
/// row limit, and then says more follow (<see cref="EventPage{T}.More"/>).
/// </remarks>
public interface IEventLog
{
    /// <summary>Stores the event with its sequence numbers; false when the tenant already has an event with that id.</summary>
    Task<bool> AppendAsync(TenantEvent tenantEvent, CancellationToken cancellationToken = default);

    Task<EventPage<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every event of a tenant after a tenant sequence number, in that order, whatever its delivery.</summary>
    Task<EventPage<LoggedEvent>> ReadTenantAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Pending events after a tenant sequence number, in order.</summary>
    Task<EventPage<StoredEvent>> ReadPendingAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending events of one lane (<see cref="StoredEvent.Lane"/>) with a tenant sequence number in
    /// (<paramref name="afterTenantSeq"/>, <paramref name="upToTenantSeq"/>], in order.
    /// </summary>
    Task<EventPage<StoredEvent>> ReadLaneAsync(TenantId tenant, string lane, long afterTenantSeq, long upToTenantSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt of a pending or replayed event: how many so far, the last error, when to try next.</summary>
    Task RecordAttemptAsync(TenantId tenant, long tenantSeq, int attempts, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default);

    /// <summary>Dead letters the tenant asked to re-send with a tenant sequence number after <paramref name="afterTenantSeq"/>, in order.</summary>
    Task<EventPage<StoredEvent>> ReadReplaysAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default);

    Task MarkDeliveredAsync(TenantId tenant, IReadOnlyCollection<long> tenantSeqs, CancellationToken cancellationToken = default);

    Task MarkDeadAsync(TenantId tenant, long tenantSeq, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<EventPage<DeadLetter>> ReadDeadAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Turns dead letters back into deliveries; all of them when <paramref name="msgIds"/> is null or empty.</summary>
    Task<int> RequeueDeadAsync(TenantId tenant, IReadOnlyList<string>? msgIds, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The tenant's last assigned sequence number (0 when it has none).</summary>
    Task<long> GetTenantHeadAsync(TenantId tenant, CancellationToken cancellationToken = default);

    Task<(long Pending, long Dead)> CountAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default);

    Task<WebhookRecord?> GetWebhookAsync(TenantId tenant, CancellationToken cancellationToken = default);

    /// <summary>Saves url and secret; the watermark is only set when the webhook is new.</summary>
    Task SaveWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken = default);

    /// <summary>Moves the delivery cursor forward (never back).</summary>
    Task SaveWatermarkAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default);

    /// <summary>Tenants with a webhook and events waiting for it.</summary>
    Task<IReadOnlyList<TenantId>> TenantsWithPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes events stored before <paramref name="before"/>, except replays not yet delivered; returns how many.</summary>
    Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default);
}

namespace OrleansWeCom;

/// <summary>An account's sends by state: every open one, and those settled since a moment.</summary>
public sealed record SendCounts(long Queued, long Sending, long Sent, long Failed, long Unknown);

/// <summary>Reads of the outbox that name no account grain: a send by msgId (the seed's <c>msg/status</c> names no account), an account's counts.</summary>
public interface IOutboxQueries
{
    Task<(TenantId Tenant, SendStatus Status)?> FindAsync(string msgId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's sends from <paramref name="wxId"/> still open, and those settled at or after <paramref name="settledSince"/>.</summary>
    Task<SendCounts> CountAsync(TenantId tenant, WxId wxId, DateTimeOffset settledSince, CancellationToken cancellationToken = default);
}

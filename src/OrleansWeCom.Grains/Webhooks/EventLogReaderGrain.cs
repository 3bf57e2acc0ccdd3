using Orleans.Concurrency;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>Reads the log for the gateway on the local silo; reads never queue behind a tenant's delivery turn.</summary>
[StatelessWorker]
public sealed class EventLogReaderGrain(IEventLog log) : Grain, IEventLogReaderGrain
{
    public Task<IReadOnlyList<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long after, int limit) =>
        log.ReadAccountAsync(tenant, account, after, limit);

    public Task<IReadOnlyList<LoggedEvent>> ReadTenantAsync(TenantId tenant, long afterTenantSeq, int limit) =>
        log.ReadTenantAsync(tenant, afterTenantSeq, Math.Clamp(limit, 1, 1000));

    public Task<IReadOnlyList<DeadLetter>> ReadDeadAsync(TenantId tenant, long after, int limit) =>
        log.ReadDeadAsync(tenant, after, limit);
}

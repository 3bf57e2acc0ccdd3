using Orleans.Concurrency;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>Reads the log for the gateway on the local silo; reads never queue behind a tenant's delivery turn.</summary>
[StatelessWorker]
public sealed class EventLogReaderGrain(IEventLog log) : Grain, IEventLogReaderGrain
{
    // Pages end early at the log's MaxReadBytes; callers page on from the last row's position.
    public async Task<IReadOnlyList<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long after, int limit) =>
        (await log.ReadAccountAsync(tenant, account, after, limit)).Rows;

    public async Task<IReadOnlyList<LoggedEvent>> ReadTenantAsync(TenantId tenant, long afterTenantSeq, int limit) =>
        (await log.ReadTenantAsync(tenant, afterTenantSeq, Math.Clamp(limit, 1, 1000))).Rows;

    public async Task<IReadOnlyList<DeadLetter>> ReadDeadAsync(TenantId tenant, long after, int limit) =>
        (await log.ReadDeadAsync(tenant, after, limit)).Rows;
}

using System.Runtime.CompilerServices;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Client;

/// <remarks>
/// Live subscriptions read the tenant's event log (the store the webhook delivers from) through the event log reader
/// grain, after a sequence number, and ask again while caught up. The log is durable and numbered per tenant, so a
/// subscriber resumes exactly where it stopped, across its own restart and a silo's crash; a live Orleans stream would
/// lose what was published while no one listened. The reader filters by tenant in the query: another tenant's events
/// never leave the silo.
/// </remarks>
internal sealed partial class WeComTenantClient
{
    public async IAsyncEnumerable<LoggedEvent> SubscribeAsync(long afterTenantSeq = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (afterTenantSeq < 0) throw WeComException.BadRequest("after must be a non-negative integer");
        var reader = cluster.GetGrain<IEventLogReaderGrain>(0);
        var after = afterTenantSeq;
        while (!cancellationToken.IsCancellationRequested)
        {
            var page = await reader.ReadTenantAsync(tenant, after, options.EventPageSize).WaitAsync(cancellationToken);
            foreach (var entry in page)
            {
                after = entry.TenantSeq;
                yield return entry;
            }

            // Only an empty page means caught up: the log cuts a page short at its byte budget.
            if (page.Count == 0) await Task.Delay(options.EventPollInterval, time, cancellationToken);
        }
    }

    public async IAsyncEnumerable<LoggedEvent> SubscribeAccountAsync(WxId wxId, long afterSeq = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (afterSeq < 0) throw WeComException.BadRequest("after must be a non-negative integer");
        await OwnedAccountAsync(wxId, cancellationToken);
        var reader = cluster.GetGrain<IEventLogReaderGrain>(0);
        var after = afterSeq;
        while (!cancellationToken.IsCancellationRequested)
        {
            var page = await reader.ReadAccountAsync(tenant, wxId.Value, after, options.EventPageSize).WaitAsync(cancellationToken);
            foreach (var entry in page)
            {
                after = entry.Seq;
                yield return entry;
            }

            // Only an empty page means caught up: the log cuts a page short at its byte budget.
            if (page.Count == 0) await Task.Delay(options.EventPollInterval, time, cancellationToken);
        }
    }
}

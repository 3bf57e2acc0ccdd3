using System.Collections.Concurrent;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Events;

/// <summary>
/// Stores each event in the log before anything else (the caller's await ends when it is durable), then wakes the
/// tenant's webhook. Wake-ups are coalesced per tenant: under load one notification covers a whole batch.
/// </summary>
public sealed partial class TenantEventPublisher(IEventLog log, IGrainFactory grains, ILogger<TenantEventPublisher> logger) : ITenantEventPublisher
{
    private readonly ConcurrentDictionary<string, byte> _waking = new(StringComparer.Ordinal);

    public async Task PublishAsync(TenantEvent tenantEvent)
    {
        if (!await log.AppendAsync(tenantEvent).ConfigureAwait(false)) return; // a repeat: stored and delivered once already
        Wake(tenantEvent.Tenant);
    }

    private void Wake(TenantId tenant)
    {
        if (!_waking.TryAdd(tenant.Value, 0)) return;
        _ = Task.Run(async () =>
        {
            // Cleared before the call: anything committed after this point triggers another wake-up.
            _waking.TryRemove(tenant.Value, out _);
            try
            {
                await grains.GetGrain<IWebhookGrain>(tenant.Value).NotifyAsync();
            }
            catch (Exception e)
            {
                // The sweeper finds the pending events within its interval.
                LogWakeFailed(logger, tenant.Value, e.Message);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the webhook of tenant {Tenant}: {Error}")]
    private static partial void LogWakeFailed(ILogger logger, string tenant, string error);
}

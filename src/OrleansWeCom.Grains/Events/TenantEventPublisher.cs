using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Events;

/// <summary>
/// Stores each event in the log before anything else (the caller's await ends when it is durable), then wakes the
/// tenant's webhook. Wake-ups are coalesced per tenant: under load one notification covers a whole batch. Account
/// events (life cycle, alerts) also go live on the tenant's Orleans stream (<see cref="AccountEventStreams"/>); the
/// callbacks' messages do not, to keep the message path free of a stream hop per callback.
/// </summary>
public sealed partial class TenantEventPublisher(IEventLog log, IGrainFactory grains, IServiceProvider services, ILogger<TenantEventPublisher> logger) : ITenantEventPublisher
{
    private readonly ConcurrentDictionary<string, byte> _waking = new(StringComparer.Ordinal);
    private readonly Lazy<IStreamProvider?> _live = new(() => services.GetKeyedService<IStreamProvider>(AccountEventStreams.Provider));

    public async Task PublishAsync(TenantEvent tenantEvent)
    {
        if (!await log.AppendAsync(tenantEvent).ConfigureAwait(false)) return; // a repeat: stored and delivered once already
        Wake(tenantEvent.Tenant);
        if (tenantEvent.Type is TenantEventTypes.AccountStateChanged or TenantEventTypes.AccountAlert) await GoLiveAsync(tenantEvent);
    }

    private async Task GoLiveAsync(TenantEvent tenantEvent)
    {
        if (_live.Value is not { } provider) return;
        try
        {
            await provider.GetStream<TenantEvent>(StreamId.Create(AccountEventStreams.Namespace, tenantEvent.Tenant.Value)).OnNextAsync(tenantEvent);
        }
        catch (Exception e)
        {
            // Live only: the event is in the log already, where a subscriber catches up.
            LogLiveFailed(logger, tenantEvent.Tenant.Value, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not put an event of tenant {Tenant} on its live stream: {Error}")]
    private static partial void LogLiveFailed(ILogger logger, string tenant, string error);

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

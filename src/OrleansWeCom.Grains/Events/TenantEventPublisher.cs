using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
    /// <summary>Per tenant: wake-ups asked for since the running one began (0: none running).</summary>
    private readonly ConcurrentDictionary<string, StrongBox<int>> _wakes = new(StringComparer.Ordinal);
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

    /// <summary>
    /// One notification in flight per tenant: events committed while it runs are covered by one more after it, so a busy
    /// tenant costs a grain call per round trip, not one per commit.
    /// </summary>
    private void Wake(TenantId tenant)
    {
        var asked = _wakes.GetOrAdd(tenant.Value, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref asked.Value) != 1) return;
        _ = Task.Run(async () =>
        {
            int seen;
            do
            {
                seen = Volatile.Read(ref asked.Value);
                try
                {
                    await grains.Reference<IWebhookGrain>(tenant.Value).NotifyAsync();
                }
                catch (Exception e)
                {
                    // The sweeper finds the pending events within its interval.
                    LogWakeFailed(logger, tenant.Value, e.Message);
                }
            }
            while (Interlocked.CompareExchange(ref asked.Value, 0, seen) != seen);
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake the webhook of tenant {Tenant}: {Error}")]
    private static partial void LogWakeFailed(ILogger logger, string tenant, string error);
}

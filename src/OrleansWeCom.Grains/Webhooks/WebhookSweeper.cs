using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>
/// Per silo: wakes the webhook of every tenant with undelivered events (after a restart, or when a wake-up was lost)
/// and deletes events past their retention. Waking twice is harmless, so every silo may sweep.
/// </summary>
public sealed partial class WebhookSweeper(
    IEventLog log,
    IGrainFactory grains,
    IOptions<WebhookOptions> webhookOptions,
    IOptions<EventLogOptions> eventOptions,
    TimeProvider time,
    ILogger<WebhookSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = webhookOptions.Value.SweepInterval;
        var pruneEvery = eventOptions.Value.PruneInterval;
        var lastPrune = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
                if (time.GetUtcNow() - lastPrune >= pruneEvery)
                {
                    lastPrune = time.GetUtcNow();
                    var pruned = await log.PruneAsync(lastPrune - eventOptions.Value.Retention, stoppingToken);
                    if (pruned > 0) LogPruned(logger, pruned);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The silo may still be starting; the next sweep tries again.
                LogSweepFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var tenant in await log.TenantsWithPendingAsync(cancellationToken))
            await grains.GetGrain<IWebhookGrain>(tenant.Value).NotifyAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log: {Count} events past retention deleted")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook sweep failed: {Error}")]
    private static partial void LogSweepFailed(ILogger logger, string error);
}

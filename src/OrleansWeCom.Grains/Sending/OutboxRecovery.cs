using Orleans.Runtime;

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// When the silo becomes active, wakes every account that still holds unsent messages. Reminders would do it too,
/// but only after their one-minute period; a restarted silo should resume sending at once.
/// </summary>
public sealed partial class OutboxRecovery(OutboxStore outbox, IGrainFactory grains, ILogger<OutboxRecovery> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OutboxRecovery), ServiceLifecycleStage.Active, ct =>
        {
            // Not awaited: the silo must not wait for every account to wake.
            _ = Task.Run(() => WakeAsync(ct), CancellationToken.None);
            return Task.CompletedTask;
        });

    private async Task WakeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var accounts = await outbox.AccountsWithBacklogAsync(cancellationToken);
            foreach (var chunk in accounts.Chunk(64))
                await Task.WhenAll(chunk.Select(a => grains.GetGrain<IAccountGrain>(a).GetQueueLengthAsync()));
            LogWoken(logger, accounts.Count);
        }
        catch (Exception e)
        {
            LogFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox recovery woke {Count} accounts with unsent messages")]
    private static partial void LogWoken(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox recovery failed; reminders will wake the accounts")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

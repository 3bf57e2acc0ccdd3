using Microsoft.Extensions.Hosting;

namespace OrleansWeCom.Grains.Hosts;

/// <summary>Reports this silo's circuit breakers of the container hosts to the cluster's board, at start and every interval.</summary>
public sealed partial class HostHealthReporter(
    IContainerHostHealth health,
    IGrainFactory grains,
    ILocalSiloDetails silo,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<HostHealthReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first report once the silo has started, so it is not lost to a silo still joining.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
            await started.Task.ConfigureAwait(false);
        using var timer = new PeriodicTimer(HostHealthBoardGrain.ReportInterval, time);
        do
        {
            try
            {
                await grains.GetGrain<IHostHealthBoardGrain>(0).ReportAsync(new SiloHostHealth(silo.SiloAddress.ToString(), time.GetUtcNow(), health.Describe()));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The silo may still be joining, or the board's silo leaving: the next interval reports again.
                LogReportFailed(logger, exception.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host circuits not reported to the board: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, string reason);
}

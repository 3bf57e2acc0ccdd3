using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Callbacks;

/// <summary>Deletes processed callbacks once they are past the de-duplication retention, every <c>CleanupInterval</c>.</summary>
public sealed partial class InboxCleanup(CallbackInboxStore store, IOptions<CallbackOptions> options, TimeProvider time, ILogger<InboxCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var cutoff = time.GetUtcNow() - o.DedupRetention;
                    var deleted = await store.CleanupAsync(cutoff.ToUnixTimeMilliseconds(), ct);
                    if (deleted > 0) LogCleaned(logger, deleted, cutoff);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogCleanupFailed(logger, e);
                }

                await Task.Delay(o.CleanupInterval, time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback inbox: deleted {Count} processed callbacks received before {Cutoff:O}")]
    private static partial void LogCleaned(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback inbox: cleanup pass failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception e);
}

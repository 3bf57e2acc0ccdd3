using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Callbacks;

public static partial class SiloBuilderExtensions
{
    /// <summary>The options of the callback grains, and the acknowledger they report to when no inbox runs here.</summary>
    public static ISiloBuilder AddWeComCallbackGrains(this ISiloBuilder silo, Action<CallbackGrainOptions>? configure = null)
    {
        var options = silo.Services.AddOptions<CallbackGrainOptions>();
        if (configure is not null) options.Configure(configure);
        silo.Services.TryAddSingleton<ICallbackAcknowledger, UnconfiguredAcknowledger>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        return silo;
    }

    /// <summary>Stands in when no inbox is configured in this process: nothing is marked, so the inbox re-delivers.</summary>
    private sealed partial class UnconfiguredAcknowledger(ILogger<UnconfiguredAcknowledger> logger) : ICallbackAcknowledger
    {
        private int _warned;

        public void Acknowledge(IReadOnlyList<long> inboxIds, CallbackOutcome outcome)
        {
            if (Interlocked.Exchange(ref _warned, 1) == 0) LogNoInbox(logger);
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "No callback inbox is configured in this silo: processed callbacks cannot be marked (call AddWeComCallbacks)")]
        private static partial void LogNoInbox(ILogger logger);
    }
}

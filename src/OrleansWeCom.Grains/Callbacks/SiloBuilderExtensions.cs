using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Callbacks;

public static partial class SiloBuilderExtensions
{
    /// <summary>
    /// The callback stream provider (<see cref="CallbackStreams.Provider"/>, memory queues: the inbox is the durability) and
    /// the options of the callback grains. Needs a grain storage named <c>PubSubStore</c>.
    /// </summary>
    public static ISiloBuilder AddWeComStreams(this ISiloBuilder silo, Action<CallbackGrainOptions>? configure = null)
    {
        silo.AddMemoryStreams(CallbackStreams.Provider, b =>
        {
            b.ConfigurePartitioning(8);
            // The default 100 ms poll would add up to 100 ms to every callback's way to its router.
            b.ConfigurePullingAgent(o => o.Configure(p => p.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10)));
        });
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

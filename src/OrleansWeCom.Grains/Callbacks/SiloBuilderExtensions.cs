using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks.Streaming;

namespace OrleansWeCom.Grains.Callbacks;

public static partial class SiloBuilderExtensions
{
    /// <summary>
    /// The options of the callback grains, the acknowledger they report to when no inbox runs here, and the callback
    /// stream: a persistent stream provider over the inbox, whose pulling agents spread its queues over the silos and
    /// move a lost silo's queues to the others. The routers subscribe implicitly; cluster clients may subscribe to a
    /// stream explicitly (their subscriptions persist in the pub-sub store). The agent polls often because an idle poll
    /// costs no query (see <see cref="InboxQueueReceiver"/>).
    /// </summary>
    public static ISiloBuilder AddWeComCallbackGrains(this ISiloBuilder silo, Action<CallbackGrainOptions>? configure = null)
    {
        var options = silo.Services.AddOptions<CallbackGrainOptions>();
        if (configure is not null) options.Configure(configure);
        silo.Services.AddOptions<CallbackStreamOptions>();
        silo.Services.TryAddSingleton<ICallbackAcknowledger, UnconfiguredAcknowledger>();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddKeyedSingleton(CallbackStreams.Clock, static (sp, _) => sp.GetRequiredService<TimeProvider>());
        silo.AddPersistentStreams(CallbackStreams.Provider, InboxQueueAdapterFactory.Create, stream =>
        {
            stream.ConfigureStreamPubSub(StreamPubSubType.ExplicitGrainBasedAndImplicit);
            stream.ConfigurePullingAgent(agent => agent.Configure(o =>
            {
                o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(20);
                // A batch a router cannot apply is retried this long, holding back its container's later callbacks; then
                // it stays unprocessed in the inbox and its queue delivers it again.
                o.MaxEventDeliveryTime = CallbackStreams.AgentDeliveryTime;
            }));
        });
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

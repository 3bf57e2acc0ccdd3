using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Grains.Callbacks.Streaming;

namespace OrleansWeCom.Host.Hosting;

public static class ConversationOptionsRegistration
{
    /// <summary>
    /// Binds <c>Conversations</c> to the conversation grains' options and <c>Callbacks</c> to the callback stream's. A
    /// conversation's write-behind must end well before the stream delivers the callbacks it holds unmarked again, so the
    /// host refuses to start when it would not.
    /// </summary>
    public static IServiceCollection AddConversationOptions(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<CallbackStreamOptions>().Bind(config.GetSection("Callbacks"))
            .Validate(o => o.StreamQueues is >= 1 and <= 1024, "Callbacks:StreamQueues must be between 1 and 1024")
            .Validate(o => o.RedeliverAfter >= TimeSpan.FromSeconds(1), "Callbacks:RedeliverAfter must be at least 1s")
            .Validate(o => o.RedeliverMaxWait >= o.RedeliverAfter && o.RedeliverMaxWait >= CallbackStreams.AgentDeliveryTime,
                "Callbacks:RedeliverMaxWait must be at least Callbacks:RedeliverAfter and the stream agent's retry time of a batch (5 minutes)")
            .Validate(o => o.MaxInFlight >= 1 && o.ReadBatch >= 1 && o.PollInterval > TimeSpan.Zero,
                "Callbacks:MaxInFlight and Callbacks:ReadBatch must be positive, Callbacks:PollInterval above zero")
            .ValidateOnStart();
        services.AddOptions<CallbackGrainOptions>().Bind(config.GetSection("Conversations"))
            .Validate<IOptions<CallbackStreamOptions>>((o, stream) => o.FlushInterval > TimeSpan.Zero && o.FlushInterval * 2 <= stream.Value.RedeliverAfter,
                "Conversations:FlushInterval must be positive and at most half of Callbacks:RedeliverAfter")
            .Validate(o => o.MaxPendingBeforeFlush >= 1 && o.RecentMessages >= o.MaxPendingBeforeFlush,
                "Conversations:MaxPendingBeforeFlush must be positive and at most Conversations:RecentMessages (a re-delivered callback is recognised among the kept messages)")
            .ValidateOnStart();
        // The one grain option read from the Callbacks section: it is about callbacks, not conversations.
        services.Configure<CallbackGrainOptions>(o => o.UnknownContainerHold = config.GetValue("Callbacks:UnknownContainerHold", o.UnknownContainerHold));
        return services;
    }
}

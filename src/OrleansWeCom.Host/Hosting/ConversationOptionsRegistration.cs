using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Callbacks;
using OrleansWeCom.Grains.Callbacks;

namespace OrleansWeCom.Host.Hosting;

public static class ConversationOptionsRegistration
{
    /// <summary>
    /// Binds <c>Conversations</c> to the conversation grains' options. Their write-behind must end well before the inbox
    /// delivers the callbacks it holds unmarked again, so the host refuses to start when it would not.
    /// </summary>
    public static IServiceCollection AddConversationOptions(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<CallbackGrainOptions>().Bind(config.GetSection("Conversations"))
            .Validate<IOptions<CallbackOptions>>((o, inbox) => o.FlushInterval > TimeSpan.Zero && o.FlushInterval * 2 <= inbox.Value.RedeliverAfter,
                "Conversations:FlushInterval must be positive and at most half of Callbacks:RedeliverAfter")
            .Validate(o => o.MaxPendingBeforeFlush >= 1 && o.RecentMessages >= o.MaxPendingBeforeFlush,
                "Conversations:MaxPendingBeforeFlush must be positive and at most Conversations:RecentMessages (a re-delivered callback is recognised among the kept messages)")
            .ValidateOnStart();
        return services;
    }
}

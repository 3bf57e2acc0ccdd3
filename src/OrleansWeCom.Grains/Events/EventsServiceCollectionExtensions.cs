using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Webhooks;

namespace OrleansWeCom.Grains.Events;

public static class EventsServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="ITenantEventPublisher"/> over the event log (<c>AddWeComStores</c>), webhook delivery (section
    /// <c>Webhooks</c>) and its sweeper. For the silo's services: the grains and the publisher run there.
    /// </summary>
    public static IServiceCollection AddWeComEvents(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .Validate(o => o.MaxRetryDuration > TimeSpan.Zero && o.InitialBackoff > TimeSpan.Zero && o.MaxBackoff >= o.InitialBackoff,
                "Webhooks:MaxRetryDuration and Webhooks:InitialBackoff must be positive and MaxBackoff at least InitialBackoff")
            .Validate(o => o.RequestTimeout > TimeSpan.Zero && o.TurnBudget > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero,
                "Webhooks:RequestTimeout, TurnBudget and SweepInterval must be positive")
            .Validate(o => o.MaxConcurrency is >= 1 and <= 256 && o.MaxWindow >= 1 && o.MaxLanes >= 1 && o.MaxPerLane >= 1 && o.MaxWindowBytes >= 64 * 1024,
                "Webhooks:MaxConcurrency must be 1..256, MaxWindow, MaxLanes and MaxPerLane positive and MaxWindowBytes at least 64 KiB")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITenantEventPublisher, TenantEventPublisher>();
        services.TryAddSingleton<WebhookUrlGuard>();
        services.TryAddSingleton<WebhookSender>();
        services.AddHttpClient(WebhookSender.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => WebhookSender.CreateHandler(
                sp.GetRequiredService<WebhookUrlGuard>(), sp.GetRequiredService<IOptions<WebhookOptions>>().Value));
        services.AddHostedService<WebhookSweeper>();
        return services;
    }
}

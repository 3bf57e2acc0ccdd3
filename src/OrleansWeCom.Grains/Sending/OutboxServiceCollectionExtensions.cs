using Microsoft.Extensions.DependencyInjection;

namespace OrleansWeCom.Grains.Sending;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>What the account grain sends with: the outbox table, its group-commit writer and the send clock.</summary>
    public static IServiceCollection AddWeComOutbox(this IServiceCollection services, Action<OutboxStoreOptions> configure)
    {
        services.AddOptions<OutboxStoreOptions>().Configure(configure);
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<IOutboxQueries>(sp => sp.GetRequiredService<OutboxStore>());
        services.AddHostedService(sp => sp.GetRequiredService<OutboxStore>());
        services.AddSingleton<SendClock>();
        return services;
    }
}

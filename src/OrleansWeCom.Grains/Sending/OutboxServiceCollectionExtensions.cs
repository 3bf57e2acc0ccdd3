using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansWeCom.Grains.Sending;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// What the account grain sends with besides the outbox store (<c>AddWeComStores</c>): the send clock, and the wake-up
    /// at silo start of accounts with a backlog.
    /// </summary>
    public static IServiceCollection AddWeComSending(this IServiceCollection services)
    {
        services.TryAddSingleton<SendClock>();
        services.TryAddSingleton<TenantQueuedBytes>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, OutboxRecovery>());
        return services;
    }
}

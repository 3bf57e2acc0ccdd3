using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Gateway.Callbacks;

public static class CallbackServiceCollectionExtensions
{
    /// <summary>
    /// Callback ingestion (section <c>Callbacks</c>): the dispatcher that hands stored callbacks to the silo's routers.
    /// The inbox itself (<c>AddWeComStores</c>) must be registered too. Register in the process that runs the silo.
    /// </summary>
    public static IServiceCollection AddWeComCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallbackOptions>().Bind(configuration.GetSection(CallbackOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CallbackDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CallbackDispatcher>());
        return services;
    }
}

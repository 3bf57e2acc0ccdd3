using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Gateway.Callbacks;

public static class CallbackServiceCollectionExtensions
{
    /// <summary>
    /// Callback ingestion (section <c>Callbacks</c>): the endpoint's options and the inbox's cleanup. The inbox itself
    /// (<c>AddWeComStores</c>) must be registered too; the callback stream's provider reads it (<c>AddWeComCallbackGrains</c>).
    /// </summary>
    public static IServiceCollection AddWeComCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallbackOptions>().Bind(configuration.GetSection(CallbackOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<InboxCleanup>();
        return services;
    }
}

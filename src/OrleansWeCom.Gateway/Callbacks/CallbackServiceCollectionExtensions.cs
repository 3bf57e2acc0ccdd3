using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Gateway.Callbacks;

public static class CallbackServiceCollectionExtensions
{
    /// <summary>
    /// The callback inbox (section <c>Callbacks</c>), its writer and dispatcher, and the acknowledger the silo's routers
    /// and conversation grains report applied callbacks to. Register in the process that runs the silo.
    /// </summary>
    public static IServiceCollection AddWeComCallbacks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallbackOptions>().Bind(configuration.GetSection(CallbackOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<CallbackInboxStore>();
        services.AddSingleton<CallbackInbox>();
        services.AddSingleton<ICallbackAcknowledger>(sp => sp.GetRequiredService<CallbackInbox>());
        services.AddHostedService(sp => sp.GetRequiredService<CallbackInbox>());
        services.AddSingleton<CallbackDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CallbackDispatcher>());
        return services;
    }
}

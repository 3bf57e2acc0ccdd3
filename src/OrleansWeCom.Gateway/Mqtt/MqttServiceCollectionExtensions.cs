using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Mqtt;

public static class MqttServiceCollectionExtensions
{
    /// <summary>
    /// The MQTT broker of seed 000 (section <c>Mqtt</c>), as a hosted service. Needs <c>AddWeComGateway</c> for the
    /// API keys and the send path; register after <c>UseOrleans</c> so it starts once the silo does.
    /// </summary>
    public static IServiceCollection AddWeComMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MqttOptions>().Bind(configuration.GetSection(MqttOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MqttOptions>, MqttOptionsValidator>();
        services.TryAddSingleton<IMqttTenantResolver, ApiKeyTenantResolver>();
        services.TryAddSingleton<IMqttSendHandler, SendServiceHandler>();
        services.AddSingleton<WeComMqttServer>();
        services.AddHostedService(sp => sp.GetRequiredService<WeComMqttServer>());
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Mqtt;

namespace OrleansWeCom.Tests.Mqtt;

public sealed class MqttOptionsTests
{
    [Fact]
    public void Defaults_are_the_seed_s_port_on_loopback()
    {
        var options = Resolve([]);

        Assert.True(options.Enabled);
        Assert.Equal(1884, options.Port);
        Assert.Equal("127.0.0.1", options.Address);
    }

    [Theory]
    [InlineData("Mqtt:Port", "0", "Mqtt:Port")]
    [InlineData("Mqtt:Address", "localhost", "Mqtt:Address")]
    [InlineData("Mqtt:MaxPendingMessagesPerClient", "0", "MaxPendingMessagesPerClient")]
    [InlineData("Mqtt:MaxSubscriptionsPerClient", "0", "MaxSubscriptionsPerClient")]
    [InlineData("Mqtt:SendTimeout", "00:00:00", "SendTimeout")]
    public void Invalid_settings_fail_at_start(string key, string value, string named)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task A_disabled_broker_does_not_listen()
    {
        var port = MqttTestClient.FreePort();
        var services = Services(new() { ["Mqtt:Enabled"] = "false", ["Mqtt:Port"] = port.ToString() });
        await using var provider = services.BuildServiceProvider();
        var server = provider.GetRequiredService<WeComMqttServer>();

        await server.StartAsync(CancellationToken.None);

        Assert.False(server.IsRunning);
        await Assert.ThrowsAnyAsync<Exception>(() => MqttTestClient.ConnectAsync(port, FakeMqttBroker.KeyA));
    }

    private static MqttOptions Resolve(Dictionary<string, string?> settings)
    {
        using var provider = Services(settings).BuildServiceProvider();
        var validators = provider.GetRequiredService<IStartupValidator>();
        validators.Validate();
        return provider.GetRequiredService<IOptions<MqttOptions>>().Value;
    }

    private static ServiceCollection Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IMqttTenantResolver>(new FixedTenants(new Dictionary<string, TenantId>()));
        services.AddSingleton<IMqttSendHandler>(new RecordingSendHandler());
        services.AddWeComMqtt(configuration);
        return services;
    }
}

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansWeCom.Client;

namespace OrleansWeCom.Tests.Client;

public sealed class WeComClientRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddWeComClient(configuration).BuildServiceProvider();
    }

    [Fact]
    public void A_static_gateway_list_and_the_silos_cluster_identity_come_from_configuration()
    {
        using var services = Build(new()
        {
            ["Orleans:ClusterId"] = "prod-cluster",
            ["Orleans:ServiceId"] = "wecom",
            ["Orleans:Gateways"] = "10.0.0.5:30000, 10.0.0.6:30000",
        });

        var cluster = services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(("prod-cluster", "wecom"), (cluster.ClusterId, cluster.ServiceId));
        var gateways = services.GetRequiredService<IOptions<StaticGatewayListProviderOptions>>().Value.Gateways;
        Assert.Equal(["gwy.tcp://10.0.0.5:30000/0", "gwy.tcp://10.0.0.6:30000/0"], gateways.Select(g => g.ToString()));
        Assert.NotNull(services.GetRequiredService<IWeComClient>());
    }

    [Theory]
    [InlineData("Orleans:Gateways", "gateway-without-port")]
    [InlineData("Storage:Provider", "PostgreSql")]
    public void A_client_that_cannot_find_the_cluster_is_refused_with_the_key_to_fix(string key, string value)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Build(new() { [key] = value }));
        Assert.Contains(key == "Storage:Provider" ? "Storage:ConnectionString" : key, refused.Message);
    }

    [Fact]
    public void Facade_bounds_are_validated_at_start()
    {
        using var services = Build(new() { ["WeComClient:EventPageSize"] = "5000" });
        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WeComClientOptions>>().Value);
    }
}

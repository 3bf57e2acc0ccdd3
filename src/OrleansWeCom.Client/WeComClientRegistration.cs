using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace OrleansWeCom.Client;

public static class WeComClientRegistration
{
    /// <summary>
    /// Adds an Orleans cluster client for the operator's own services and <see cref="IWeComClient"/>. Reads the keys
    /// the silo reads: <c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>, <c>Orleans:GatewayPort</c> and the
    /// <c>Storage</c> section (PostgreSQL membership, or the local silo on SQLite); <c>Orleans:Gateways</c>
    /// (<c>host:port</c>, comma-separated) names the gateways instead of reading membership.
    /// </summary>
    public static IServiceCollection AddWeComClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clusterId = configuration["Orleans:ClusterId"] ?? "orleans-wecom";
        var serviceId = configuration["Orleans:ServiceId"] ?? "orleans-wecom";
        var gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
        var gateways = ParseGateways(configuration["Orleans:Gateways"]);
        var storage = new ClusterClientStorageOptions();
        configuration.GetSection(ClusterClientStorageOptions.SectionName).Bind(storage);

        services.AddOrleansClient(client =>
        {
            // Before the clustering, as the silo does: on SQLite both then take localhost clustering's identity.
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, serviceId));
            if (gateways.Count > 0) client.UseStaticClustering(gateways.ToArray());
            else client.UseWeComClustering(storage, gatewayPort);
        });
        services.AddOptions<WeComClientOptions>().Bind(configuration.GetSection(WeComClientOptions.SectionName))
            .Validate(o => o.MaxBulkItems > 0 && o.BulkConcurrency > 0 && o.EventPageSize is > 0 and <= 1000 && o.EventPollInterval > TimeSpan.Zero,
                "WeComClient: MaxBulkItems, BulkConcurrency and EventPollInterval must be positive, EventPageSize 1–1000")
            .ValidateOnStart();
        services.AddSingleton<IWeComClient, WeComClient>();
        return services;
    }

    private static List<IPEndPoint> ParseGateways(string? text)
    {
        var list = new List<IPEndPoint>();
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPEndPoint.TryParse(item, out var endpoint) || endpoint.Port == 0)
                throw new OptionsValidationException("Orleans:Gateways", typeof(IPEndPoint),
                    [$"Orleans:Gateways holds '{item}', which is not an address:port"]);
            list.Add(endpoint);
        }

        return list;
    }
}

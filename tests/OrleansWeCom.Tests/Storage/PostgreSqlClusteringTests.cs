using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansWeCom.Client;

namespace OrleansWeCom.Tests.Storage;

/// <summary>Real silos (not the test cluster's in-memory membership) meeting through the PostgreSQL membership table.</summary>
public sealed class PostgreSqlClusteringTests : IAsyncLifetime
{
    private readonly PostgreSqlTestDatabase _database = new();
    private readonly List<IHost> _hosts = [];
    private readonly string _clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.StopAsync();
            host.Dispose();
        }

        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Two_silos_form_a_cluster_and_a_client_finds_them_through_the_membership_table()
    {
        // Both silos install the schema at the same moment: the advisory lock keeps that safe.
        var silos = new[] { StartSilo(), StartSilo() };
        await Task.WhenAll(silos.Select(s => s.StartAsync()));

        Assert.Equal(2, await StorageClusters.EventuallyAsync(
            () => _database.ScalarAsync($"SELECT count(*) FROM WeComMembership WHERE DeploymentId = '{_clusterId}' AND Status = 3"),
            active => active == 2, TimeSpan.FromSeconds(20)));
        Assert.Equal(1, await _database.ScalarAsync("SELECT Version FROM WeComSchemaVersion"));

        var client = Track(Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder());
        client.Services.AddOrleansClient(c => c
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (_clusterId, "clustering-tests"))
            .UseWeComClustering(new ClusterClientStorageOptions
            {
                Provider = ClusterClientStorageProvider.PostgreSql,
                ConnectionString = _database.ConnectionString,
            }));
        var clientHost = client.Build();
        _hosts.Add(clientHost);
        await clientHost.StartAsync();

        var grain = clientHost.Services.GetRequiredService<IClusterClient>().GetGrain<IStorageProbeGrain>("through-the-gateway");
        await grain.SetAsync("hello");
        Assert.Equal("hello", (await grain.GetAsync()).Value);
    }

    private IHost StartSilo()
    {
        var builder = Track(Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder());
        var options = _database.Options;
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo => silo
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (_clusterId, "clustering-tests"))
            .Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Loopback;
                o.SiloPort = siloPort;
                o.GatewayPort = gatewayPort;
            })
            .Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            })
            .UseWeComClustering(options)
            .UseWeComStorage(options));
        var host = builder.Build();
        _hosts.Add(host);
        return host;
    }

    private static HostApplicationBuilder Track(HostApplicationBuilder builder)
    {
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        return builder;
    }

    private static int FreePort() => OrleansWeCom.Testing.TestPorts.Next();
}

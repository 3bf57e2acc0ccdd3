using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Storage;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Host;

/// <summary>Gateway and worker silos: our grains live only on silos that host grains, whoever calls them.</summary>
public class SiloRoleTests
{
    [Fact]
    public async Task Grains_called_from_a_gateway_silo_are_placed_on_the_worker()
    {
        var database = Path.Combine(Path.GetTempPath(), $"wecom-roles-{Guid.NewGuid():N}.db");
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.InitializeClientOnDeploy = false;
        // The cluster may configure its silos on two threads at once.
        var storage = new System.Collections.Concurrent.ConcurrentDictionary<string, StorageOptions>();
        var first = (string?)null;
        builder.ConfigureSiloHost((options, host) =>
        {
            host.Logging.ClearProviders();
            host.Configuration.AddInMemoryCollection(TestSettings.For(database, "roles"));
            storage[options.SiloName] = host.AddWeComSiloServices();
        });
        builder.ConfigureSilo((options, silo) =>
        {
            Interlocked.CompareExchange(ref first, options.SiloName, null);
            silo.UseWeComRole(options.SiloName == first ? SiloRole.Gateway : SiloRole.Worker);
            silo.AddWeComGrains(storage[options.SiloName]);
        });
        await using var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
            var gateway = (InProcessSiloHandle)cluster.Silos.Single(s => s.Name == first);
            var worker = cluster.Silos.Single(s => s.Name != first);
            var grains = gateway.ServiceProvider.GetRequiredService<IGrainFactory>();

            // The gateway learns the worker's grain types from the cluster manifest, which it refreshes after the worker joins.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    await grains.GetGrain<ITenantGrain>("role-tenant-0").GetAsync();
                    break;
                }
                catch (ArgumentException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }

            for (var i = 0; i < 20; i++)
                await grains.GetGrain<ITenantGrain>($"role-tenant-{i}").GetAsync();

            var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            var tenants = stats.Where(s => s.GrainType.Contains("TenantGrain")).ToList();
            Assert.Equal(20, tenants.Sum(s => s.ActivationCount));
            Assert.All(tenants, s => Assert.Equal(worker.SiloAddress, s.SiloAddress));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TestSettings.DeleteDatabase(database);
        }
    }

    [Theory]
    [InlineData("Gateway")]
    [InlineData("worker")]
    public void A_split_role_on_SQLite_is_refused(string role)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(TestSettings.For(Path.Combine(Path.GetTempPath(), $"wecom-{Guid.NewGuid():N}.db"), "roles"));
        builder.Configuration["Orleans:Role"] = role;
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddWeComSilo());
        Assert.Contains("SQLite runs one silo", error.Message);
    }

    [Fact]
    public void An_unknown_role_is_refused_by_name()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection([new("Orleans:Role", "everything")]).Build();
        Assert.Contains("everything", Assert.Throws<InvalidOperationException>(() => SiloRoles.Of(config)).Message);
    }
}

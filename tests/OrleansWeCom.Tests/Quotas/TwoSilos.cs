using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Storage;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Quotas;

/// <summary>
/// Two in-process silos of one cluster, each with the product's own services (its own container-host registry, ledgers
/// and quotas) on one SQLite file; tests reach each silo's services and grain factory.
/// </summary>
internal sealed class TwoSilos : IAsyncDisposable
{
    private readonly string _database;
    private readonly InProcessTestCluster _cluster;

    private TwoSilos(string database, InProcessTestCluster cluster)
    {
        _database = database;
        _cluster = cluster;
    }

    public IServiceProvider this[int silo] => ((InProcessSiloHandle)_cluster.Silos[silo]).ServiceProvider;

    public IGrainFactory Grains(int silo) => this[silo].GetRequiredService<IGrainFactory>();

    public static async Task<TwoSilos> StartAsync(IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var database = Path.Combine(Path.GetTempPath(), $"wecom-two-silos-{Guid.NewGuid():N}.db");
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.InitializeClientOnDeploy = false;
        var storage = new Dictionary<string, StorageOptions>();
        var all = TestSettings.For(database, "two-silos-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (key, value) in settings) all[key] = value;
        builder.ConfigureSiloHost((options, host) =>
        {
            host.Logging.ClearProviders();
            host.Configuration.AddInMemoryCollection(all);
            storage[options.SiloName] = host.AddWeComSiloServices();
        });
        builder.ConfigureSilo((options, silo) => silo.AddWeComGrains(storage[options.SiloName]));
        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return new TwoSilos(database, cluster);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TestSettings.DeleteDatabase(_database);
    }
}

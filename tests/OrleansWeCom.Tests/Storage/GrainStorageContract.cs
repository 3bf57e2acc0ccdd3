using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansWeCom.Grains;

namespace OrleansWeCom.Tests.Storage;

/// <summary>
/// What grain state, reminders and the schema must do on each database. One cluster per class;
/// every test uses grain keys of its own.
/// </summary>
public abstract class GrainStorageContract<TDatabase>(StorageClusterFixture<TDatabase> fixture)
    where TDatabase : StorageTestDatabase, new()
{
    private static readonly string[] QueryKeys =
    [
        "ClearStorageKey", "CleanupDefunctSiloEntriesKey", "DeleteMembershipTableEntriesKey", "DeleteReminderRowKey",
        "DeleteReminderRowsKey", "DeleteStorageKey", "GatewaysQueryKey", "InsertMembershipKey", "InsertMembershipVersionKey",
        "MembershipReadAllKey", "MembershipReadRowKey", "ReadFromStorageKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "ReadReminderRowKey", "ReadReminderRowsKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey", "UpsertReminderRowKey",
        "WriteToStorageKey",
    ];

    protected TDatabase Database => fixture.Database;

    private InProcessTestCluster Cluster => fixture.Cluster;

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task State_is_written_read_back_after_reactivation_and_cleared()
    {
        var grain = Cluster.Client.GetGrain<IStorageProbeGrain>(NewKey());

        await grain.SetAsync("first");
        Assert.Equal("1", await grain.GetETagAsync());
        await grain.SetAsync("second");
        await Cluster.DeactivateAsync(grain);

        Assert.Equal(new ProbeState { Value = "second", Writes = 2 }, await grain.GetAsync());
        Assert.Equal("2", await grain.GetETagAsync());
        Assert.True(await grain.RecordExistsAsync());

        await grain.ClearAsync();
        Assert.False(await grain.RecordExistsAsync());
        Assert.Equal("3", await grain.GetETagAsync());
        await Cluster.DeactivateAsync(grain);

        Assert.Equal(new ProbeState(), await grain.GetAsync());
        Assert.False(await grain.RecordExistsAsync());
        await grain.SetAsync("after clear");
        Assert.Equal("4", await grain.GetETagAsync());
    }

    [Fact]
    public async Task Write_with_a_stale_etag_is_an_InconsistentStateException()
    {
        var storage = Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Grains);
        var grainId = GrainId.Create("storageprobe", NewKey());
        var first = new GrainState<ProbeState>(new ProbeState());
        var second = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync("storageProbe", grainId, first);
        await storage.ReadStateAsync("storageProbe", grainId, second);
        Assert.Null(first.ETag);

        first.State = new ProbeState { Value = "first wins" };
        await storage.WriteStateAsync("storageProbe", grainId, first);
        second.State = new ProbeState { Value = "second loses" };

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("storageProbe", grainId, second));

        await storage.ReadStateAsync("storageProbe", grainId, second);
        Assert.Equal("first wins", second.State?.Value);
        await storage.WriteStateAsync("storageProbe", grainId, second);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("storageProbe", grainId, first));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("storageProbe", grainId, new GrainState<ProbeState>(new ProbeState())));
    }

    [Fact]
    public async Task Many_grains_write_at_once_without_errors()
    {
        var grains = Enumerable.Range(0, 40).Select(_ => Cluster.Client.GetGrain<IStorageProbeGrain>(NewKey())).ToList();

        await Task.WhenAll(grains.Select(async grain =>
        {
            for (var i = 0; i < 5; i++)
            {
                await grain.SetAsync($"value {i}");
            }
        }));

        foreach (var grain in grains)
        {
            Assert.Equal("5", await grain.GetETagAsync());
        }
    }

    [Fact]
    public async Task Reminder_is_stored_fires_and_is_removed_when_unregistered()
    {
        var key = NewKey();
        var grain = Cluster.Client.GetGrain<IReminderProbeGrain>(key);

        await grain.StartAsync(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1));
        Assert.True(await grain.IsRegisteredAsync());
        Assert.Equal(1, await Database.ScalarAsync($"SELECT count(*) FROM WeComReminder WHERE GrainId LIKE '%{key}'"));

        var ticks = await StorageClusters.EventuallyAsync(grain.TicksAsync, t => t >= 2, TimeSpan.FromSeconds(15));
        Assert.True(ticks >= 2, $"The reminder fired {ticks} times.");

        await grain.StopAsync();
        Assert.False(await grain.IsRegisteredAsync());
        Assert.Equal(0, await Database.ScalarAsync($"SELECT count(*) FROM WeComReminder WHERE GrainId LIKE '%{key}'"));
    }

    [Fact]
    public async Task Schema_installs_at_once_from_several_silos_and_again_without_change()
    {
        var fresh = new TDatabase();
        await fresh.InitializeAsync();
        try
        {
            var silos = Enumerable.Range(0, 3).Select(_ => fresh.Databases()).ToList();
            await Task.WhenAll(silos.Select(d => d.EnsureSchemaAsync()));
            await using (var again = fresh.Databases()) await again.EnsureSchemaAsync();
            foreach (var silo in silos) await silo.DisposeAsync();

            Assert.Equal(QueryKeys.Order(StringComparer.Ordinal), (await fresh.StringsAsync("SELECT QueryKey FROM OrleansQuery")).Order(StringComparer.Ordinal));
            foreach (var component in StorageComponents.All)
                Assert.Equal(SchemaInstaller.LatestVersion(fresh.Options.Provider, component),
                    await fresh.ScalarAsync($"SELECT Version FROM WeComSchemaVersion WHERE Component = '{component.Name()}'", component));
        }
        finally
        {
            await fresh.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_ApplySchema_off_a_silo_refuses_a_bare_database_and_starts_once_the_scripts_are_applied_by_hand()
    {
        var fresh = new TDatabase();
        await fresh.InitializeAsync();
        try
        {
            var options = fresh.Options;
            options.ApplySchema = false;
            await using (var bare = new StorageDatabases(options, NullLogger<SchemaInstaller>.Instance))
            {
                var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => bare.EnsureSchemaAsync());
                Assert.Contains($"Schema/{options.Provider}/outbox.v1.sql", refused.Message);
            }

            // What an operator does with psql -f (or sqlite3) and the scripts in the repository.
            foreach (var script in SchemaInstaller.Scripts(options.Provider))
            {
                var file = Path.Combine(RepositoryRoot(), script.Path);
                Assert.Equal(script.Text, await File.ReadAllTextAsync(file));
                await fresh.ScalarAsync(script.Text + "\nSELECT 1;", script.Component);
            }

            await using var applied = new StorageDatabases(options, NullLogger<SchemaInstaller>.Instance);
            await applied.EnsureSchemaAsync();
        }
        finally
        {
            await fresh.DisposeAsync();
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "OrleansWeCom.sln"))) directory = directory.Parent!;
        return directory.FullName;
    }

    [Fact]
    public async Task State_survives_a_full_cluster_restart()
    {
        var serviceId = "restart-" + NewKey();
        var key = NewKey();

        await using (var cluster = await StorageClusters.StartAsync(Database.Options, serviceId))
        {
            await cluster.Client.GetGrain<IStorageProbeGrain>(key).SetAsync("kept");
            await cluster.StopAllSilosAsync();
        }

        await using (var cluster = await StorageClusters.StartAsync(Database.Options, serviceId))
        {
            var grain = cluster.Client.GetGrain<IStorageProbeGrain>(key);
            Assert.Equal("kept", (await grain.GetAsync()).Value);
            Assert.Equal("1", await grain.GetETagAsync());
            await cluster.StopAllSilosAsync();
        }
    }
}

/// <summary>The database and a one-silo cluster on it, shared by one test class.</summary>
public sealed class StorageClusterFixture<TDatabase> : IAsyncLifetime
    where TDatabase : StorageTestDatabase, new()
{
    private InProcessTestCluster? _cluster;

    public TDatabase Database { get; } = new();

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster did not start.");

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        _cluster = await StorageClusters.StartAsync(Database.Options, "storage-tests");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

public sealed class SqliteGrainStorageTests(StorageClusterFixture<SqliteTestDatabase> fixture)
    : GrainStorageContract<SqliteTestDatabase>(fixture), IClassFixture<StorageClusterFixture<SqliteTestDatabase>>
{
    [Fact]
    public async Task Sqlite_file_is_created_under_its_directory_in_WAL_mode()
    {
        Assert.True(File.Exists(Database.FilePath));
        Assert.Equal(["wal"], await Database.StringsAsync("PRAGMA journal_mode"));
    }
}

public sealed class PostgreSqlGrainStorageTests(StorageClusterFixture<PostgreSqlTestDatabase> fixture)
    : GrainStorageContract<PostgreSqlTestDatabase>(fixture), IClassFixture<StorageClusterFixture<PostgreSqlTestDatabase>>;

using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;

namespace OrleansWeCom.Tests.Storage;

/// <summary>
/// Our membership queries driven through Orleans' own ADO.NET membership table: every change moves the
/// table version, and a write based on an old version is refused. Runs on both databases, although
/// the embedded SQLite run uses localhost clustering.
/// </summary>
public abstract class MembershipTableContract<TDatabase>(TDatabase database)
    where TDatabase : StorageTestDatabase, new()
{
    [Fact]
    public async Task Membership_writes_follow_the_table_version_and_stale_ones_are_refused()
    {
        var options = database.Options;
        var clusterId = "membership-" + Guid.NewGuid().ToString("N")[..8];
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-tests" }),
            Options.Create(new AdoNetClusteringSiloOptions
            {
                Invariant = StorageConnection.Invariant(options),
                ConnectionString = StorageConnection.ConnectionString(options),
            }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await using (var databases = new StorageDatabases(options, NullLogger<SchemaInstaller>.Instance)) await databases.EnsureSchemaAsync();
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);

        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        Assert.Equal(0, empty.Version.Version);

        var now = DateTime.UtcNow;
        var silo = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 42);
        var entry = new MembershipEntry
        {
            SiloAddress = silo, SiloName = "silo-a", HostName = "host-a", Status = SiloStatus.Joining,
            ProxyPort = 30000, StartTime = now, IAmAliveTime = now,
        };
        Assert.True(await table.InsertRowAsync(entry, empty.Version.Next()));
        Assert.False(await table.InsertRowAsync(entry, empty.Version.Next()));

        var joined = await table.ReadAllAsync();
        var (row, etag) = Assert.Single(joined.Members);
        Assert.Equal(1, joined.Version.Version);
        Assert.Equal(("silo-a", "host-a", silo), (row.SiloName, row.HostName, row.SiloAddress));

        entry.Status = SiloStatus.Active;
        entry.AddOrUpdateSuspector(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 7), now, 10);
        Assert.True(await table.UpdateRowAsync(entry, etag, joined.Version.Next()));
        Assert.False(await table.UpdateRowAsync(entry, etag, joined.Version.Next()));

        entry.IAmAliveTime = now.AddSeconds(5);
        await table.UpdateIAmAliveAsync(entry);
        var active = await table.ReadRowAsync(silo);
        var (activeRow, _) = Assert.Single(active.Members);
        Assert.Equal(2, active.Version.Version);
        Assert.Equal(SiloStatus.Active, activeRow.Status);
        Assert.Single(activeRow.SuspectTimes ?? []);
        Assert.Equal(entry.IAmAliveTime, activeRow.IAmAliveTime, TimeSpan.FromMilliseconds(1));

        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance, new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions
            {
                Invariant = StorageConnection.Invariant(options),
                ConnectionString = StorageConnection.ConnectionString(options),
            }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "membership-tests" }));
        await gateways.InitializeGatewayListProviderAsync();
        Assert.Equal(SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 30000), 42).ToGatewayUri(), Assert.Single(await gateways.GetGatewaysAsync()));

        entry.Status = SiloStatus.Dead;
        Assert.True(await table.UpdateRowAsync(entry, active.Members[0].Item2, active.Version.Next()));
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Empty((await table.ReadAllAsync()).Members);

        await table.DeleteMembershipTableEntriesAsync(clusterId);
        Assert.True(await InsertsVersionRowAgainAsync(table));
    }

    private static async Task<bool> InsertsVersionRowAgainAsync(AdoNetClusteringTable table)
    {
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return (await table.ReadAllAsync()).Version.Version == 0;
    }
}

public sealed class SqliteMembershipTableTests(SqliteTestDatabase database)
    : MembershipTableContract<SqliteTestDatabase>(database), IClassFixture<SqliteTestDatabase>;

public sealed class PostgreSqlMembershipTableTests(PostgreSqlTestDatabase database)
    : MembershipTableContract<PostgreSqlTestDatabase>(database), IClassFixture<PostgreSqlTestDatabase>;

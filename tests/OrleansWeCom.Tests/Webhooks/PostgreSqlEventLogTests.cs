using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Tests.Storage;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>The event log on PostgreSQL (the clustered mode): two silos' stores writing at once keep sequences gap-free.</summary>
public sealed class PostgreSqlEventLogTests : IAsyncLifetime
{
    private readonly PostgreSqlTestDatabase _database = new();

    private readonly List<StorageDatabases> _silos = [];

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>Two silos' event logs on the one database, their schema ensured at once.</summary>
    private async Task<(SqlEventLog A, SqlEventLog B)> TwoSilosAsync(int maxBatchSize)
    {
        var options = Options.Create(new EventLogOptions { MaxBatchSize = maxBatchSize });
        _silos.AddRange([_database.Databases(), _database.Databases()]);
        var a = new SqlEventLog(_silos[0], options, TimeProvider.System, NullLogger<SqlEventLog>.Instance);
        var b = new SqlEventLog(_silos[1], options, TimeProvider.System, NullLogger<SqlEventLog>.Instance);
        await Task.WhenAll(_silos[0].EnsureSchemaAsync(), _silos[1].EnsureSchemaAsync());
        return (a, b);
    }

    [Fact]
    public async Task Two_writers_on_one_database_assign_gap_free_sequences_and_store_each_msgId_once()
    {
        var (siloA, siloB) = await TwoSilosAsync(maxBatchSize: 200);
        await using var disposeA = siloA;
        await using var disposeB = siloB;

        var events = Enumerable.Range(0, 2_000)
            .Select(i => SampleEvents.Text("t-pg", (1688854355260000L + i % 7).ToString(), "S:1_2", $"m{i}"))
            .ToList();
        // Every event is offered by both silos: each must be stored exactly once.
        var results = await Task.Run(() => Task.WhenAll(events.SelectMany(e => new[] { siloA.AppendAsync(e), siloB.AppendAsync(e) })));
        Assert.Equal(events.Count, results.Count(stored => stored));

        var tenant = new TenantId("t-pg");
        Assert.Equal(events.Count, await siloA.GetTenantHeadAsync(tenant));
        var total = 0;
        for (var a = 0; a < 7; a++)
        {
            var rows = await siloB.ReadAccountAsync(tenant, (1688854355260000L + a).ToString(), 0, 1_000);
            Assert.Equal(Enumerable.Range(1, rows.Count).Select(i => (long)i), rows.Select(r => r.Seq));
            total += rows.Count;
        }

        Assert.Equal(events.Count, total);
        var pending = await siloA.ReadPendingAsync(tenant, 0, 5_000);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), pending.Select(p => p.Entry.TenantSeq));

        await siloA.MarkDeliveredAsync(tenant, [1, 2, 3]);
        await siloA.MarkDeadAsync(tenant, 4, 3, "HTTP 500", DateTimeOffset.UtcNow);
        Assert.Equal(5, (await siloB.ReadPendingAsync(tenant, 0, 1)).Single().Entry.TenantSeq);
        Assert.Equal(events[3].MsgId, (await siloB.ReadDeadAsync(tenant, 0, 10)).Single().Entry.Event.MsgId);
        // The cluster client's live read: every event of the tenant after a number, delivered, dead or pending alike.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), (await siloB.ReadTenantAsync(tenant, 0, 10)).Select(r => r.TenantSeq));
        Assert.Equal([6L, 7, 8], (await siloA.ReadTenantAsync(tenant, 5, 3)).Select(r => r.TenantSeq));
        Assert.Empty(await siloA.ReadTenantAsync(new TenantId("t-pg-other"), 0, 10));
        Assert.Equal(1, await siloB.RequeueDeadAsync(tenant, null, DateTimeOffset.UtcNow));
        Assert.Equal(4, (await siloA.ReadReplaysAsync(tenant, 0, 10)).Single().Entry.TenantSeq);
        // A lane's pending events, read back by conversation within a range of the tenant's order.
        Assert.Equal([5L, 6, 7], (await siloB.ReadLaneAsync(tenant, "S:1_2", 0, 7, 10)).Select(r => r.Entry.TenantSeq));
        Assert.Empty(await siloB.ReadLaneAsync(tenant, "S:1_3", 0, 100, 10));
        // Pruning keeps the replay until it is delivered; a failed attempt's retry state is read back with the row.
        Assert.Equal(events.Count - 1, await siloA.PruneAsync(DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Equal(4, (await siloB.ReadReplaysAsync(tenant, 0, 10)).Single().Entry.TenantSeq);
        await siloB.RecordAttemptAsync(tenant, 4, 2, "HTTP 503", DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var replay = (await siloA.ReadReplaysAsync(tenant, 0, 10)).Single();
        Assert.Equal((2, 1_800_000_000_000L, "HTTP 503"), (replay.Attempts, replay.NextAttemptAt, replay.LastError));
    }

    [Fact]
    public async Task Batches_over_many_accounts_and_tenants_keep_every_sequence_gap_free()
    {
        // A batch of 2,000 events over 700 accounts of three tenants has more counter scopes than one statement takes.
        var (siloA, siloB) = await TwoSilosAsync(maxBatchSize: 2_000);
        await using var disposeA = siloA;
        await using var disposeB = siloB;

        static string Account(int i) => (1688854355270000L + i % 700).ToString();
        static string Tenant(int i) => $"t-many-{i % 700 % 3}";
        var events = Enumerable.Range(0, 4_200).Select(i => SampleEvents.Text(Tenant(i), Account(i), "S:1_2", $"many-{i}")).ToList();
        var results = await Task.Run(() => Task.WhenAll(events.Select((e, i) => (i % 2 == 0 ? siloA : siloB).AppendAsync(e))));
        Assert.All(results, Assert.True);

        for (var t = 0; t < 3; t++)
        {
            var tenant = new TenantId($"t-many-{t}");
            var count = events.Count(e => e.Tenant == tenant);
            Assert.Equal(count, await siloA.GetTenantHeadAsync(tenant));
            var pending = await siloB.ReadPendingAsync(tenant, 0, 5_000);
            Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), pending.Select(p => p.Entry.TenantSeq));
        }

        // Each account (i % 700) belongs to one tenant and has six events, numbered 1 to 6.
        for (var a = 0; a < 700; a += 37)
        {
            var rows = await siloA.ReadAccountAsync(new TenantId(Tenant(a)), Account(a), 0, 100);
            Assert.Equal([1L, 2, 3, 4, 5, 6], rows.Select(r => r.Seq));
        }
    }
}

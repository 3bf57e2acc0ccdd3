using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OrleansWeCom.Tests.Storage;

/// <summary>
/// The outbox table on both databases: a row is inserted once and then updated in place, and what an account finds
/// at activation (its open rows, its idempotency keys) and what a silo wakes at start come from the partial indexes.
/// </summary>
public abstract class OutboxStoreContract<TDatabase> : IAsyncLifetime where TDatabase : StorageTestDatabase, new()
{
    private readonly TDatabase _database = new();
    private StorageDatabases? _databases;
    private OutboxStore? _store;

    /// <summary>The names of the outbox table's indexes, primary key excluded.</summary>
    protected abstract string IndexNamesSql { get; }

    protected OutboxStore Store => _store!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _databases = _database.Databases();
        _store = new OutboxStore(_databases, Options.Create(new OutboxStoreOptions()), TimeProvider.System, NullLogger<OutboxStore>.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        if (_databases is not null) await _databases.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_row_is_inserted_once_then_updated_and_an_account_finds_only_its_open_rows()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var a1 = Row("a1", "wx-a", 1, now, null);
        var a2 = Row("a2", "wx-a", 2, now, "key-1");
        var b1 = Row("b1", "wx-b", 1, now, "key-2");
        await Task.WhenAll(Store.InsertAsync(a1), Store.InsertAsync(a2), Store.InsertAsync(b1));

        await Store.SaveAsync(a1 with { State = SendState.Sending, Attempts = 1, LastAttemptAt = now, HostMsgId = "host-a1" });
        await Store.SaveAsync(b1 with { State = SendState.Sending, Attempts = 1, LastAttemptAt = now });
        await Store.SaveAsync(b1 with { State = SendState.Sent, Attempts = 1, LastAttemptAt = now, SettledAt = now.AddSeconds(1), HostMsgId = "host-b1", ErrorCode = 0 });

        var (open, lastAttempt, _) = await Store.LoadAccountAsync("wx-a");
        Assert.Equal(["a1", "a2"], open.Select(r => r.MsgId));
        Assert.Equal((SendState.Sending, "host-a1", "body of a1"), (open[0].State, open[0].HostMsgId, open[0].Body));
        Assert.Equal(now, lastAttempt);
        Assert.Equal("a2", (await Store.FindByIdempotencyKeyAsync("tenant-1", "key-1"))!.MsgId);

        var (openB, lastB, _) = await Store.LoadAccountAsync("wx-b");
        Assert.Empty(openB);
        // With nothing open, the account's last settlement is when its next send may count its gap from.
        Assert.Equal(now.AddSeconds(1), lastB);
        Assert.Equal(["wx-a"], await Store.AccountsWithBacklogAsync());

        var settled = await Store.FindRowAsync("b1");
        Assert.Equal((SendState.Sent, "host-b1", 0, now.AddSeconds(1)), (settled!.State, settled.HostMsgId, settled.ErrorCode, settled.SettledAt));
        Assert.Equal((b1.Tenant, b1.ConversationId, b1.Body, b1.EnqueuedAt), (settled.Tenant, settled.ConversationId, settled.Body, settled.EnqueuedAt));
    }

    [Fact]
    public async Task An_account_s_counts_hold_its_open_sends_and_those_settled_in_the_window_for_its_tenant_only()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var rows = new[] { Row("c1", "wx-c", 1, now, null), Row("c2", "wx-c", 2, now, null), Row("c3", "wx-c", 3, now, null), Row("c4", "wx-c", 4, now, null), Row("c5", "wx-c", 5, now, null) };
        await Task.WhenAll(rows.Select(Store.InsertAsync));
        await Store.SaveAsync(rows[1] with { State = SendState.Sending, Attempts = 1, LastAttemptAt = now });
        await Store.SaveAsync(rows[2] with { State = SendState.Sent, Attempts = 1, LastAttemptAt = now, SettledAt = now });
        await Store.SaveAsync(rows[3] with { State = SendState.Failed, Attempts = 1, LastAttemptAt = now, SettledAt = now });
        // Settled before the window: not counted.
        await Store.SaveAsync(rows[4] with { State = SendState.Sent, Attempts = 1, LastAttemptAt = now, SettledAt = now.AddHours(-2) });

        var counts = await Store.CountAsync(new TenantId(rows[0].Tenant), new WxId("wx-c"), now.AddHours(-1));
        Assert.Equal(new SendCounts(Queued: 1, Sending: 1, Sent: 1, Failed: 1, Unknown: 0), counts);
        Assert.Equal(new SendCounts(0, 0, 0, 0, 0), await Store.CountAsync(new TenantId("someone-else"), new WxId("wx-c"), now.AddHours(-1)));
    }

    [Fact]
    public async Task An_account_finds_its_sends_of_unknown_outcome_settled_since_a_time()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var old = Row("u-old", "wx-a", 1, now, null);
        var recent = Row("u-recent", "wx-a", 2, now, null);
        var failed = Row("f", "wx-a", 3, now, null);
        var other = Row("u-other", "wx-b", 1, now, null);
        await Task.WhenAll(Store.InsertAsync(old), Store.InsertAsync(recent), Store.InsertAsync(failed), Store.InsertAsync(other));
        await Store.SaveAsync(old with { State = SendState.Unknown, Attempts = 1, SettledAt = now.AddMinutes(-20) });
        await Store.SaveAsync(recent with { State = SendState.Unknown, Attempts = 1, SettledAt = now.AddMinutes(-1) });
        await Store.SaveAsync(failed with { State = SendState.Failed, Attempts = 1, SettledAt = now.AddMinutes(-1) });
        await Store.SaveAsync(other with { State = SendState.Unknown, Attempts = 1, SettledAt = now.AddMinutes(-1) });

        var (open, _, unknown) = await Store.LoadAccountAsync("wx-a", now.AddMinutes(-10));
        Assert.Empty(open);
        Assert.Equal(["u-recent"], unknown.Select(r => r.MsgId));
        Assert.Empty((await Store.LoadAccountAsync("wx-a")).Unknown);
    }

    [Fact]
    public async Task An_update_of_a_row_never_inserted_fails_and_a_tenant_s_key_takes_one_row()
    {
        var now = DateTimeOffset.UtcNow;
        await Assert.ThrowsAnyAsync<Exception>(() => Store.SaveAsync(Row("ghost", "wx-a", 1, now, null) with { State = SendState.Sent }));
        Assert.Null(await Store.FindRowAsync("ghost"));

        Assert.True(await Store.InsertAsync(Row("k1", "wx-a", 1, now, "same")));
        // The key is the tenant's: a second row under it is not written, on the same account or another.
        Assert.False(await Store.InsertAsync(Row("k2", "wx-a", 2, now, "same")));
        Assert.False(await Store.InsertAsync(Row("k3", "wx-b", 1, now, "same")));
        Assert.True(await Store.InsertAsync(Row("k4", "wx-c", 1, now, "same") with { Tenant = "tenant-2" }));
        Assert.Equal(["k1"], (await Store.LoadAccountAsync("wx-a")).Open.Select(r => r.MsgId));
        Assert.Null(await Store.FindRowAsync("k3"));
        Assert.Equal("k4", (await Store.FindByIdempotencyKeyAsync("tenant-2", "same"))!.MsgId);
    }

    [Fact]
    public async Task Finding7_two_writers_racing_for_one_row_claim_it_once()
    {
        // Two activations of one account on two silos: each has its own store (its own writer and connection).
        await using var second = new OutboxStore(_databases!, Options.Create(new OutboxStoreOptions()), TimeProvider.System, NullLogger<OutboxStore>.Instance);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var rows = Enumerable.Range(0, 40).Select(i => Row($"race-{i}", "wx-a", i, now, null)).ToList();
        await Task.WhenAll(rows.Select(Store.InsertAsync));

        var claims = await Task.WhenAll(rows.Select(async row =>
        {
            var first = Task.Run(() => Store.ClaimAsync(row with { State = SendState.Sending, Attempts = 1, LastAttemptAt = now }));
            var other = Task.Run(() => second.ClaimAsync(row with { State = SendState.Sending, Attempts = 1, LastAttemptAt = now.AddMilliseconds(1) }));
            return (await first, await other);
        }));
        Assert.All(claims, c => Assert.True(c.Item1 ^ c.Item2, "exactly one writer claims each row"));

        // A row sent, answered and queued again (a throttled send) is claimed anew, but not with the attempt before.
        var row = rows[0] with { State = SendState.Queued, Attempts = 1, LastAttemptAt = now, NextAttemptAt = now.AddSeconds(2) };
        await Store.SaveAsync(row);
        Assert.False(await second.ClaimAsync(rows[0] with { State = SendState.Sending, Attempts = 1 }));
        Assert.True(await second.ClaimAsync(row with { State = SendState.Sending, Attempts = 2, NextAttemptAt = null }));
        Assert.False(await Store.ClaimAsync(row with { State = SendState.Sending, Attempts = 2, NextAttemptAt = null }));
        Assert.Equal((SendState.Sending, 2), ((await Store.FindRowAsync(row.MsgId))!.State, (await Store.FindRowAsync(row.MsgId))!.Attempts));
    }

    [Fact]
    public async Task Outbox_v2_leaves_a_key_a_tenant_used_on_several_accounts_with_its_earliest_row()
    {
        var fresh = new TDatabase();
        await fresh.InitializeAsync();
        try
        {
            if (fresh is SqliteTestDatabase sqlite) Directory.CreateDirectory(Path.GetDirectoryName(sqlite.FilePath)!);
            var v1 = SchemaInstaller.Scripts(fresh.Options.Provider).Single(s => s is { Component: StorageComponent.Outbox, Version: 1 });
            await fresh.ExecuteAsync(v1.Text, StorageComponent.Outbox);
            // Version 1 let one tenant use a key on two accounts.
            foreach (var (msgId, tenant, wxId, at) in new[] { ("m2", "tenant-1", "wx-b", 2000), ("m1", "tenant-1", "wx-a", 1000), ("m3", "tenant-2", "wx-c", 3000) })
                await fresh.ExecuteAsync(
                    $"INSERT INTO wecom_outbox (msg_id, tenant, wx_id, seq, kind, conversation_id, body, state, attempts, enqueued_at, idempotency_key) " +
                    $"VALUES ('{msgId}', '{tenant}', '{wxId}', 1, 0, 'S:1_2', 'b', 0, 0, {at}, 'k')", StorageComponent.Outbox);

            await using (var databases = fresh.Databases()) await databases.EnsureSchemaAsync();

            Assert.Equal(["m1", "m3"], (await fresh.StringsAsync("SELECT msg_id FROM wecom_outbox WHERE idempotency_key = 'k'", StorageComponent.Outbox)).Order(StringComparer.Ordinal));
            Assert.Equal(3, await fresh.ScalarAsync("SELECT COUNT(*) FROM wecom_outbox", StorageComponent.Outbox));
            Assert.Equal(2, await fresh.ScalarAsync("SELECT Version FROM WeComSchemaVersion WHERE Component = 'outbox'", StorageComponent.Outbox));
        }
        finally
        {
            await fresh.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_outbox_indexes_are_partial_on_settled_at()
    {
        // What a silo does first at start (OutboxRecovery): the schema is in place before it answers.
        Assert.Empty(await Store.AccountsWithBacklogAsync());
        var names = await _database.StringsAsync(IndexNamesSql, StorageComponent.Outbox);
        Assert.Superset(new HashSet<string> { "ix_wecom_outbox_open", "ux_wecom_outbox_tenant_idempotency_key", "ix_wecom_outbox_settled_at", "ix_wecom_outbox_account_settled" }, names.ToHashSet());
    }

    private static OutboxRow Row(string msgId, string wxId, long seq, DateTimeOffset now, string? idempotencyKey) =>
        new(msgId, "tenant-1", wxId, seq, SendKind.Text, "S:1_2", $"body of {msgId}", SendState.Queued, 0, now, null, null, null, null, null, null, idempotencyKey);

    protected TDatabase Database => _database;
}

public sealed class SqliteOutboxStoreTests : OutboxStoreContract<SqliteTestDatabase>
{
    protected override string IndexNamesSql => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'wecom_outbox' AND name NOT LIKE 'sqlite_autoindex%'";

    /// <summary>Thousands of accounts activate at a silo's start: none of their queries may read the whole table.</summary>
    [Theory]
    [InlineData(OutboxStore.OpenRowsSql)]
    [InlineData(OutboxStore.LastSettledSql)]
    [InlineData(OutboxStore.IdempotencyKeySql)]
    [InlineData(OutboxStore.RecentUnknownSql)]
    public async Task An_account_s_activation_reads_through_an_index(string sql)
    {
        await Store.AccountsWithBacklogAsync();
        await using var connection = new SqliteConnection(StorageDatabases.ConnectionString(Database.Options, StorageComponent.Outbox));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        await using var reader = await command.ExecuteReaderAsync();
        var steps = new List<string>();
        while (await reader.ReadAsync()) steps.Add(reader.GetString(3));

        Assert.Contains(steps, step => step.Contains("wecom_outbox USING", StringComparison.Ordinal));
        Assert.DoesNotContain(steps, step => step.Contains("wecom_outbox", StringComparison.Ordinal) && !step.Contains("USING", StringComparison.Ordinal));
    }
}

public sealed class PostgreSqlOutboxStoreTests : OutboxStoreContract<PostgreSqlTestDatabase>
{
    protected override string IndexNamesSql => "SELECT indexname::text FROM pg_indexes WHERE tablename = 'wecom_outbox' AND indexname <> 'wecom_outbox_pkey'";
}

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Callbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>Upgrading from a version that kept the inbox in the grain-state file loses nothing.</summary>
public sealed class CallbackInboxMoveTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"wecom-inbox-move-{Guid.NewGuid():N}");

    public CallbackInboxMoveTests() => Directory.CreateDirectory(_dir);

    private CallbackInboxStore Store(string file, string? previous = null) => new(Options.Create(new CallbackOptions
    {
        Provider = CallbackStoreProvider.Sqlite,
        ConnectionString = $"Data Source={Path.Combine(_dir, file)}",
        PreviousConnectionString = previous is null ? null : $"Data Source={Path.Combine(_dir, previous)}",
    }));

    private static IncomingCallback Callback(string msgId, string? serverKey) =>
        new(msgId, serverKey, "emu", "c1", CallbackTypes.Text, $$"""{"msgId":"{{msgId}}"}""");

    [Fact]
    public async Task Pending_and_processed_rows_move_with_their_ids_and_still_catch_repeats()
    {
        await using (var old = Store("main.db"))
        {
            await old.EnsureSchemaAsync(CancellationToken.None);
            using var connection = old.Open();
            var ids = old.Write(connection, [Callback("m1", "w:1"), Callback("m2", null)], [], 1_000);
            old.Write(connection, [], [(ids[0]!.Value, CallbackOutcome.Applied)], 2_000);
        }

        await using var store = Store("inbox.db", previous: "main.db");
        await store.EnsureSchemaAsync(CancellationToken.None);

        var counts = await store.CountAsync();
        Assert.Equal((1, 1), (counts.Pending, counts.Processed));
        var pending = Assert.Single(await store.LoadPendingAsync(0, long.MaxValue, 10, CancellationToken.None));
        Assert.Equal(2, pending.Id);
        using (var connection = store.Open())
        {
            // Both repeats are recognised; a new callback continues above the moved ids.
            var again = store.Write(connection, [Callback("m9", "w:1"), Callback("m2", null), Callback("m3", null)], [], 3_000);
            Assert.Null(again[0]);
            Assert.Null(again[1]);
            Assert.True(again[2] > 2, $"new id {again[2]}");
        }

        await using var check = new SqliteConnection($"Data Source={Path.Combine(_dir, "main.db")}");
        await check.OpenAsync();
        await using var command = check.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM sqlite_master WHERE name = '{CallbackInboxSchema.Table}'";
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);

        // A second start finds nothing left to move.
        await using var restarted = Store("inbox.db", previous: "main.db");
        await restarted.EnsureSchemaAsync(CancellationToken.None);
        var after = await restarted.CountAsync();
        Assert.Equal((2, 1), (after.Pending, after.Processed));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

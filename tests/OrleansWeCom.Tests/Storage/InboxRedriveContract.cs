using OrleansWeCom.Callbacks;
using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Tests.Storage;

/// <summary>Failed callbacks as an operator lists and re-drives them, on each database.</summary>
public abstract class InboxRedriveContract<TDatabase> : IAsyncLifetime where TDatabase : StorageTestDatabase, new()
{
    private readonly TDatabase _database = new();
    private StorageDatabases _databases = null!;
    private CallbackInboxStore _store = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _databases = _database.Databases();
        await _databases.EnsureSchemaAsync();
        _store = new CallbackInboxStore(_databases);
    }

    public async Task DisposeAsync()
    {
        await _databases.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<long?[]> WriteAsync(params InboxWrite[] writes)
    {
        await using var connection = await _store.Database.OpenAsync(CancellationToken.None);
        var session = new WriterSession(connection);
        session.Transaction = await connection.BeginTransactionAsync();
        var ids = await _store.WriteAsync(session, writes, 1000, CancellationToken.None);
        await session.Transaction.CommitAsync();
        return ids;
    }

    private static InboxWrite Callback(string msgId, string? trace = null) =>
        new(new IncomingCallback(msgId, null, "host-a", "container-1", "text_msg", "{\"bad\"", "container-1", 3, trace), null, default);

    [Fact]
    public async Task A_re_drive_moves_failed_rows_unprocessed_to_the_tail_of_their_queue_and_leaves_the_rest()
    {
        var ids = await WriteAsync(Callback("m-1", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), Callback("m-2"), Callback("m-3"));
        var (failedA, applied, failedB) = (ids[0]!.Value, ids[1]!.Value, ids[2]!.Value);
        await WriteAsync(new InboxWrite(null, [failedA, failedB], CallbackOutcome.Failed), new InboxWrite(null, [applied], CallbackOutcome.Applied));

        var failed = await _store.ListFailedAsync(0, 10);
        Assert.Equal([failedA, failedB], failed.Select(f => f.Id));
        Assert.Equal("host-a", failed[0].HostKey);
        Assert.Equal([failedB], (await _store.ListFailedAsync(failedA, 10)).Select(f => f.Id));
        // A reader that had passed every row finds nothing pending.
        Assert.Empty(await _store.LoadQueueAsync(3, failedB, 10, CancellationToken.None));

        Assert.Equal([failedA], await _store.RedriveAsync([failedA, applied]));
        var tail = Assert.Single(await _store.LoadQueueAsync(3, failedB, 10, CancellationToken.None));
        Assert.True(tail.Id > failedB);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tail.TraceParent);
        Assert.Equal("{\"bad\"", tail.Body);
        Assert.Equal([failedB], (await _store.ListFailedAsync(0, 10)).Select(f => f.Id));

        // With no ids, every failed row moves; a second call finds none.
        Assert.Equal([failedB], await _store.RedriveAsync(null));
        Assert.Empty(await _store.RedriveAsync(null));
        Assert.Equal(2, (await _store.LoadQueueAsync(3, failedB, 10, CancellationToken.None)).Count);
        // The moved rows still de-duplicate: the same msgId is refused.
        Assert.Null((await WriteAsync(Callback("m-1")))[0]);
    }
}

public sealed class SqliteInboxRedriveTests : InboxRedriveContract<SqliteTestDatabase>;

public sealed class PostgreSqlInboxRedriveTests : InboxRedriveContract<PostgreSqlTestDatabase>;

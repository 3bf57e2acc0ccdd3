using OrleansWeCom.Callbacks;
using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Tests.Storage;

/// <summary>Failed callbacks as an operator lists and re-drives them, on each database.</summary>
public abstract class InboxRedriveContract<TDatabase> : InboxStoreTest<TDatabase> where TDatabase : StorageTestDatabase, new()
{
    private async Task<long?[]> WriteAsync(params InboxWrite[] writes)
    {
        await using var connection = await Store.Database.OpenAsync(CancellationToken.None);
        var session = new WriterSession(connection);
        session.Transaction = await connection.BeginTransactionAsync();
        var ids = await Store.WriteAsync(session, writes, 1000, CancellationToken.None);
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

        var failed = await Store.ListFailedAsync(0, 10);
        Assert.Equal([failedA, failedB], failed.Select(f => f.Id));
        Assert.Equal("host-a", failed[0].HostKey);
        Assert.Equal([failedB], (await Store.ListFailedAsync(failedA, 10)).Select(f => f.Id));
        // A reader that had passed every row finds nothing pending.
        Assert.Empty(await Store.LoadQueueAsync(3, failedB, 10, CancellationToken.None));

        Assert.Equal([failedA], await Store.RedriveAsync([failedA, applied]));
        var tail = Assert.Single(await Store.LoadQueueAsync(3, failedB, 10, CancellationToken.None));
        Assert.True(tail.Id > failedB);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", tail.TraceParent);
        Assert.Equal("{\"bad\"", tail.Body);
        Assert.Equal([failedB], (await Store.ListFailedAsync(0, 10)).Select(f => f.Id));

        // With no ids, every failed row moves; a second call finds none.
        Assert.Equal([failedB], await Store.RedriveAsync(null));
        Assert.Empty(await Store.RedriveAsync(null));
        Assert.Equal(2, (await Store.LoadQueueAsync(3, failedB, 10, CancellationToken.None)).Count);
        // The moved rows still de-duplicate: the same msgId is refused.
        Assert.Null((await WriteAsync(Callback("m-1")))[0]);
    }
}

public sealed class SqliteInboxRedriveTests : InboxRedriveContract<SqliteTestDatabase>;

public sealed class PostgreSqlInboxRedriveTests : InboxRedriveContract<PostgreSqlTestDatabase>;

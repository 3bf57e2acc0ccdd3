using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Tests.Storage;

/// <summary>
/// Two gateways storing callbacks on one PostgreSQL inbox: a queue's reader follows ids, so a row must never become
/// visible above one drawn earlier and not yet committed, or the reader passes that row and it waits for a restart.
/// </summary>
public sealed class InboxCommitOrderTests : InboxStoreTest<PostgreSqlTestDatabase>
{
    private static InboxWrite Callback(string msgId) =>
        new(new IncomingCallback(msgId, null, "host-a", "container-1", "text_msg", "{}", "wx-1", 0), null, default);

    [Fact]
    public async Task A_gateway_committing_later_never_lets_a_reader_pass_the_row_it_drew_first()
    {
        await using var first = await OpenSessionAsync();
        var drawnFirst = (await Store.WriteAsync(first, [Callback("m-1")], 1, CancellationToken.None))[0]!.Value;

        // The second gateway stores and commits while the first has not committed yet.
        await using var second = await OpenSessionAsync();
        var other = Task.Run(async () =>
        {
            await Store.WriteAsync(second, [Callback("m-2")], 2, CancellationToken.None);
            await second.Transaction!.CommitAsync();
        });
        await Task.WhenAny(other, Task.Delay(TimeSpan.FromMilliseconds(500)));

        var seenMeanwhile = await Store.LoadQueueAsync(0, 0, 10, CancellationToken.None);
        Assert.DoesNotContain(seenMeanwhile, r => r.Id > drawnFirst);

        await first.Transaction!.CommitAsync();
        await other.WaitAsync(TimeSpan.FromSeconds(10));
        var rows = await Store.LoadQueueAsync(0, 0, 10, CancellationToken.None);
        Assert.Equal(2, rows.Count);
        Assert.Equal(drawnFirst, rows[0].Id);
    }

    private async Task<WriterSession> OpenSessionAsync()
    {
        var connection = await Store.Database.OpenAsync(CancellationToken.None);
        var session = new WriterSession(connection);
        session.Transaction = await connection.BeginTransactionAsync();
        return session;
    }
}

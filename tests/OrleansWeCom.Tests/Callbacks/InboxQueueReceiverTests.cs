using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks.Streaming;
using OrleansWeCom.Tests.Storage;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// The callback stream's queue reader over a real inbox (SQLite) on fake time: order per container, a queue's own rows
/// only, delivery again of what is not marked processed (with back-off), and a taken-over queue starting from its oldest
/// pending row.
/// </summary>
public class InboxQueueReceiverTests() : InboxOnFakeTime(Queues)
{
    private const int Queues = 4;

    /// <summary>Two container names that share a queue, and one in another queue.</summary>
    private static (string A, string B, string Other) Containers()
    {
        var names = Enumerable.Range(0, 200).Select(i => $"host{i:D4}").ToList();
        var a = names[0];
        var b = names.Skip(1).First(n => CallbackStreams.QueueOf(n, Queues) == CallbackStreams.QueueOf(a, Queues));
        var other = names.First(n => CallbackStreams.QueueOf(n, Queues) != CallbackStreams.QueueOf(a, Queues));
        return (a, b, other);
    }

    private async Task<long> StoreAsync(string container, string msgId) =>
        await Inbox.StoreAsync(new IncomingCallback(msgId, null, "emulator", container, "11041", $"{{\"msgId\":\"{msgId}\"}}", Queue: CallbackStreams.QueueOf(container, Queues)), default) == StoreOutcome.Stored
            ? (await Store.LoadQueueAsync(CallbackStreams.QueueOf(container, Queues), 0, 10_000, default)).Single(r => r.Body.Contains(msgId)).Id
            : throw new InvalidOperationException("duplicate");

    private static List<(string Container, List<long> Ids)> Batches(IEnumerable<IBatchContainer> events) =>
        [.. events.Select(e => (e.StreamId.GetKeyAsString(), e.GetEvents<CallbackBatch>().Single().Item1.Items.Select(i => i.Id).ToList()))];

    [Fact]
    public async Task A_queue_delivers_its_own_containers_rows_each_in_inbox_order()
    {
        var (a, b, other) = Containers();
        var ids = new List<(string, long)>();
        foreach (var (container, i) in new[] { (a, 1), (b, 2), (a, 3), (other, 4), (b, 5), (a, 6) })
            ids.Add((container, await StoreAsync(container, $"m{i}")));

        var receiver = Receiver(CallbackStreams.QueueOf(a, Queues));
        var batches = Batches(await receiver.GetQueueMessagesAsync(100, default));

        Assert.Equal([a, b], batches.Select(x => x.Container));
        Assert.Equal(ids.Where(x => x.Item1 == a).Select(x => x.Item2), batches[0].Ids);
        Assert.Equal(ids.Where(x => x.Item1 == b).Select(x => x.Item2), batches[1].Ids);
        // Read once: nothing again until it is overdue.
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, default));
    }

    [Fact]
    public async Task A_row_not_marked_processed_is_delivered_again_later_each_time_and_a_marked_one_never()
    {
        var (a, _, _) = Containers();
        var kept = await StoreAsync(a, "kept");
        var done = await StoreAsync(a, "done");
        var receiver = Receiver(CallbackStreams.QueueOf(a, Queues));
        Assert.Equal([kept, done], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);
        Inbox.Acknowledge([done], CallbackOutcome.Applied);
        await WaitMarkedAsync(done);

        // Overdue rows are looked for every third of the wait, so one comes again between 30 s and 40 s; the second wait is twice the first.
        await AssertComesAgainAfterAsync(receiver, TimeSpan.FromSeconds(30), kept);
        await AssertComesAgainAfterAsync(receiver, TimeSpan.FromSeconds(60), kept);
        Assert.Equal(1, receiver.InFlight);
    }

    /// <summary>Nothing comes a second before <paramref name="wait"/> is over; the row comes once the next look (a third of 30 s) is due.</summary>
    private async Task AssertComesAgainAfterAsync(InboxQueueReceiver receiver, TimeSpan wait, long id)
    {
        Time.Advance(wait - TimeSpan.FromSeconds(1));
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, default));
        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal([id], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);
    }

    [Fact]
    public async Task A_row_never_marked_comes_again_at_least_every_longest_wait_however_long_the_outage()
    {
        var (a, _, _) = Containers();
        var kept = await StoreAsync(a, "kept");
        var receiver = Receiver(CallbackStreams.QueueOf(a, Queues));
        Assert.Equal([kept], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);

        // The wait doubles from 30 s to Callbacks:RedeliverMaxWait (5 minutes) and stays there: once the grains are back
        // after an outage of hours, the stream resumes within five minutes rather than a doubled wait of many.
        foreach (var wait in new[] { 30, 60, 120, 240, 300, 300, 300 })
            await AssertComesAgainAfterAsync(receiver, TimeSpan.FromSeconds(wait), kept);
    }

    [Fact]
    public async Task Rows_of_a_stream_first_delivered_apart_are_delivered_again_together_oldest_first()
    {
        var (a, _, _) = Containers();
        var receiver = Receiver(CallbackStreams.QueueOf(a, Queues));
        var older = await StoreAsync(a, "older");
        Assert.Equal([older], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);
        Time.Advance(TimeSpan.FromSeconds(9));
        var newer = await StoreAsync(a, "newer");
        Assert.Equal([newer], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);

        // The older is overdue first: the newer goes again with it, behind it, and from then on they share one schedule,
        // so the newer never goes again on its own while the older waits (the grains may be back by then).
        var again = new List<List<long>>();
        for (var i = 0; i < 40; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(5));
            var events = await receiver.GetQueueMessagesAsync(100, default);
            Assert.All(events, e => Assert.True(e.GetEvents<CallbackBatch>().Single().Item1.Again, "a delivery again says so"));
            again.AddRange(Batches(events).Select(b => b.Ids));
        }

        Assert.True(again.Count >= 2, "delivered again more than once in 200 s");
        Assert.All(again, ids => Assert.Equal([older, newer], ids));
    }

    [Fact]
    public async Task A_queue_taken_over_delivers_every_row_still_pending_from_the_oldest()
    {
        var (a, _, _) = Containers();
        var first = await StoreAsync(a, "x1");
        var second = await StoreAsync(a, "x2");
        var third = await StoreAsync(a, "x3");
        var queue = CallbackStreams.QueueOf(a, Queues);
        Assert.Equal([first, second, third], Batches(await Receiver(queue).GetQueueMessagesAsync(100, default)).Single().Ids);
        Inbox.Acknowledge([first], CallbackOutcome.Applied);
        await WaitMarkedAsync(first);

        // The silo that held the queue is gone; another silo's receiver starts on it.
        var successor = Receiver(queue);
        Assert.Equal([second, third], Batches(await successor.GetQueueMessagesAsync(100, default)).Single().Ids);
    }

    [Fact]
    public async Task Rows_another_silo_stored_are_read_on_the_next_poll()
    {
        // Gateways sharing the table (PostgreSQL): this process is not the only writer.
        await Inbox.DisposeAsync();
        Inbox = new CallbackInbox(Store, Options.Create(new CallbackInboxOptions { SoleWriter = false }), Time, NullLogger<CallbackInbox>.Instance);
        var (a, _, _) = Containers();
        var queue = CallbackStreams.QueueOf(a, Queues);
        var receiver = Receiver(queue);
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, default));

        // Stored through another process's inbox: this one's hint does not see it.
        await using var otherSilo = new CallbackInbox(Store, Options.Create(new CallbackInboxOptions()), Time, NullLogger<CallbackInbox>.Instance);
        await otherSilo.StoreAsync(new IncomingCallback("remote", null, "emulator", a, "11041", "{}", Queue: queue), default);
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, default));
        Time.Advance(StreamOptions.PollInterval);
        Assert.Single(Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);
    }

    [Fact]
    public async Task A_sole_writer_hands_rows_over_in_order_once_across_a_tail_that_overflowed()
    {
        var (a, b, _) = Containers();
        var queue = CallbackStreams.QueueOf(a, Queues);
        var receiver = Receiver(queue);
        Assert.Empty(await receiver.GetQueueMessagesAsync(100, default));

        // More rows than the tail holds arrive while the receiver is not reading: it catches up from the table, then
        // takes the rest from memory, each row once and each container in inbox order.
        var stored = new List<(string Container, long Id)>();
        var writes = Enumerable.Range(0, 4200).Select(i => (Container: i % 2 == 0 ? a : b, MsgId: $"t{i}")).ToList();
        foreach (var chunk in writes.Chunk(500))
            await Task.WhenAll(chunk.Select(w => Inbox.StoreAsync(new IncomingCallback(w.MsgId, null, "emulator", w.Container, "11041", $"{{\"msgId\":\"{w.MsgId}\"}}", Queue: queue), default)));
        var more = await StoreAsync(a, "after");

        var delivered = new List<(string Container, List<long> Ids)>();
        for (var round = 0; round < 20; round++) delivered.AddRange(Batches(await receiver.GetQueueMessagesAsync(-1, default)));
        var ids = delivered.SelectMany(d => d.Ids).ToList();
        Assert.Equal(4201, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains(more, ids);
        foreach (var container in new[] { a, b })
        {
            var mine = delivered.Where(d => d.Container == container).SelectMany(d => d.Ids).ToList();
            Assert.Equal(mine.Order(), mine);
        }

        // Rows committed from now on come without a poll.
        var next = await StoreAsync(b, "next");
        Assert.Equal([next], Batches(await receiver.GetQueueMessagesAsync(-1, default)).Single().Ids);
    }

    [Fact]
    public async Task A_failed_row_re_driven_reaches_the_receiver_of_a_sole_writer_at_once()
    {
        var (a, _, _) = Containers();
        var receiver = Receiver(CallbackStreams.QueueOf(a, Queues));
        var failed = await StoreAsync(a, "broken");
        Assert.Equal([failed], Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids);
        Inbox.Acknowledge([failed], CallbackOutcome.Failed);
        await WaitMarkedAsync(failed);

        // Moved to a new id outside the inbox's writer, it is not in the in-memory tail: the receiver reads the table.
        Assert.Equal([failed], await Store.RedriveAsync([failed]));
        var again = Batches(await receiver.GetQueueMessagesAsync(100, default)).Single().Ids.Single();
        Assert.True(again > failed);
    }

    private async Task WaitMarkedAsync(long id)
    {
        for (var i = 0; i < 200 && (await Store.LoadStillPendingAsync([id], default)).Count > 0; i++) await Task.Delay(10);
        Assert.Empty(await Store.LoadStillPendingAsync([id], default));
    }
}

using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks.Streaming;
using OrleansWeCom.Tests.Storage;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// Issue 18's done-when: a five-hour outage of the grains' side loses no acknowledged callback. The inbox (real SQLite)
/// and the stream's queue reader run on fake time; the grains' side is a consumer that takes nothing for five simulated
/// hours while the host keeps posting, then applies what it is delivered as the router does (a stream's callbacks in
/// order, one already applied skipped) and marks it processed.
/// </summary>
public sealed class GrainSideOutageTests() : InboxOnFakeTime(Queues)
{
    private const int Queues = 2;
    private static readonly string[] Containers = ["outage-a", "outage-b", "outage-c", "outage-d"];

    [Fact]
    public async Task A_five_hour_outage_of_the_grains_side_loses_no_acknowledged_callback_and_keeps_each_streams_order()
    {
        var receivers = Enumerable.Range(0, Queues).Select(Receiver).ToList();
        var stored = Containers.ToDictionary(c => c, _ => new List<long>());
        var serial = 0;

        async Task PostAsync()
        {
            foreach (var container in Containers)
            {
                var msgId = $"m{++serial}";
                var outcome = await Inbox.StoreAsync(new IncomingCallback(msgId, null, "emulator", container, "11041", $"{{\"msgId\":\"{msgId}\"}}",
                    Queue: CallbackStreams.QueueOf(container, Queues)), default);
                Assert.Equal(StoreOutcome.Stored, outcome);
                var row = (await Store.LoadQueueAsync(CallbackStreams.QueueOf(container, Queues), 0, 100_000, default)).Single(r => r.Body.Contains($"\"{msgId}\""));
                stored[container].Add(row.Id);
            }
        }

        // Before the outage, and then every ten minutes of it, the host posts one callback per container: all acknowledged.
        for (var i = 0; i < 25; i++) await PostAsync();
        var deliveredDuringOutage = 0;
        var end = Time.GetUtcNow() + TimeSpan.FromHours(5);
        var nextPost = Time.GetUtcNow();
        while (Time.GetUtcNow() < end)
        {
            if (Time.GetUtcNow() >= nextPost)
            {
                await PostAsync();
                nextPost += TimeSpan.FromMinutes(10);
            }

            // The pulling agents keep asking; the grains' side takes nothing (every delivery fails).
            foreach (var receiver in receivers) deliveredDuringOutage += (await receiver.GetQueueMessagesAsync(-1, default)).Count;
            Time.Advance(TimeSpan.FromSeconds(20));
        }

        var atEnd = await Store.CountAsync();
        Assert.Equal(stored.Values.Sum(v => v.Count), atEnd.Pending);
        Assert.Equal(0, atEnd.Processed);
        Assert.True(deliveredDuringOutage > Containers.Length, "the rows were offered again and again during the outage");

        // The grains' side is back: each stream's batches are applied in order; a callback already applied is skipped.
        var applied = Containers.ToDictionary(c => c, _ => new List<long>());
        var recoveredBy = Time.GetUtcNow() + TimeSpan.FromHours(1);
        while ((await Store.CountAsync()).Pending > 0 && Time.GetUtcNow() < recoveredBy)
        {
            foreach (var receiver in receivers)
                foreach (var e in await receiver.GetQueueMessagesAsync(-1, default))
                {
                    var container = e.StreamId.GetKeyAsString();
                    var ids = e.GetEvents<CallbackBatch>().Single().Item1.Items.Select(x => x.Id).ToList();
                    foreach (var id in ids.Where(id => applied[container].Count == 0 || id > applied[container][^1])) applied[container].Add(id);
                    Inbox.Acknowledge(ids, CallbackOutcome.Applied);
                }

            await Task.Delay(20);
            Time.Advance(TimeSpan.FromSeconds(5));
        }

        foreach (var container in Containers) Assert.Equal(stored[container], applied[container]);
        var counts = await Store.CountAsync();
        Assert.Equal(0, counts.Pending);
        Assert.False(counts.ByOutcome.ContainsKey(CallbackOutcome.Failed), "no callback is marked failed for good");
        Assert.Equal(stored.Values.Sum(v => v.Count), counts.ByOutcome[CallbackOutcome.Applied]);
    }
}

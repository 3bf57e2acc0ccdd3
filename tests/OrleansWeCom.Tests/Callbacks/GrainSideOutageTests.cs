using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Streams;
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
public sealed class GrainSideOutageTests : IAsyncLifetime
{
    private const int Queues = 2;
    private static readonly string[] Containers = ["outage-a", "outage-b", "outage-c", "outage-d"];
    private readonly SqliteTestDatabase _database = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-04T10:00:00Z"));
    private readonly CallbackStreamOptions _options = new() { StreamQueues = Queues, RedeliverAfter = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(200) };
    private StorageDatabases _databases = null!;
    private CallbackInboxStore _store = null!;
    private CallbackInbox _inbox = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _databases = _database.Databases();
        await _databases.EnsureSchemaAsync();
        _store = new CallbackInboxStore(_databases);
        _inbox = new CallbackInbox(_store, Options.Create(new CallbackInboxOptions()), _time, NullLogger<CallbackInbox>.Instance);
    }

    public async Task DisposeAsync()
    {
        await _inbox.DisposeAsync();
        await _databases.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task A_five_hour_outage_of_the_grains_side_loses_no_acknowledged_callback_and_keeps_each_streams_order()
    {
        var receivers = Enumerable.Range(0, Queues).Select(q =>
        {
            var r = new InboxQueueReceiver(q, _options, _store, _inbox, _time, NullLogger<InboxQueueReceiver>.Instance);
            r.Initialize(TimeSpan.FromSeconds(5));
            return r;
        }).ToList();
        var stored = Containers.ToDictionary(c => c, _ => new List<long>());
        var serial = 0;

        async Task PostAsync()
        {
            foreach (var container in Containers)
            {
                var msgId = $"m{++serial}";
                var outcome = await _inbox.StoreAsync(new IncomingCallback(msgId, null, "emulator", container, "11041", $"{{\"msgId\":\"{msgId}\"}}",
                    Queue: CallbackStreams.QueueOf(container, Queues)), default);
                Assert.Equal(StoreOutcome.Stored, outcome);
                var row = (await _store.LoadQueueAsync(CallbackStreams.QueueOf(container, Queues), 0, 100_000, default)).Single(r => r.Body.Contains($"\"{msgId}\""));
                stored[container].Add(row.Id);
            }
        }

        // Before the outage, and then every ten minutes of it, the host posts one callback per container: all acknowledged.
        for (var i = 0; i < 25; i++) await PostAsync();
        var deliveredDuringOutage = 0;
        var end = _time.GetUtcNow() + TimeSpan.FromHours(5);
        var nextPost = _time.GetUtcNow();
        while (_time.GetUtcNow() < end)
        {
            if (_time.GetUtcNow() >= nextPost)
            {
                await PostAsync();
                nextPost += TimeSpan.FromMinutes(10);
            }

            // The pulling agents keep asking; the grains' side takes nothing (every delivery fails).
            foreach (var receiver in receivers) deliveredDuringOutage += (await receiver.GetQueueMessagesAsync(-1, default)).Count;
            _time.Advance(TimeSpan.FromSeconds(20));
        }

        var atEnd = await _store.CountAsync();
        Assert.Equal(stored.Values.Sum(v => v.Count), atEnd.Pending);
        Assert.Equal(0, atEnd.Processed);
        Assert.True(deliveredDuringOutage > Containers.Length, "the rows were offered again and again during the outage");

        // The grains' side is back: each stream's batches are applied in order; a callback already applied is skipped.
        var applied = Containers.ToDictionary(c => c, _ => new List<long>());
        var recoveredBy = _time.GetUtcNow() + TimeSpan.FromHours(1);
        while ((await _store.CountAsync()).Pending > 0 && _time.GetUtcNow() < recoveredBy)
        {
            foreach (var receiver in receivers)
                foreach (var e in await receiver.GetQueueMessagesAsync(-1, default))
                {
                    var container = e.StreamId.GetKeyAsString();
                    var ids = e.GetEvents<CallbackBatch>().Single().Item1.Items.Select(x => x.Id).ToList();
                    foreach (var id in ids.Where(id => applied[container].Count == 0 || id > applied[container][^1])) applied[container].Add(id);
                    _inbox.Acknowledge(ids, CallbackOutcome.Applied);
                }

            await Task.Delay(20);
            _time.Advance(TimeSpan.FromSeconds(5));
        }

        foreach (var container in Containers) Assert.Equal(stored[container], applied[container]);
        var counts = await _store.CountAsync();
        Assert.Equal(0, counts.Pending);
        Assert.False(counts.ByOutcome.ContainsKey(CallbackOutcome.Failed), "no callback is marked failed for good");
        Assert.Equal(stored.Values.Sum(v => v.Count), counts.ByOutcome[CallbackOutcome.Applied]);
    }
}

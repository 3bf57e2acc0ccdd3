using System.Collections.Concurrent;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Storage.Inbox;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Callbacks.Streaming;

/// <summary>
/// Reads one queue of the inbox for the pulling agent of the silo that holds it. New rows are read in id order from a
/// cursor that starts at 0, so a queue taken over from a silo that died delivers again everything still unprocessed.
/// Rows stored by this process are read at once (taken from memory when it is the only writer); other silos' on the
/// next poll. A row delivered and not marked processed
/// within <see cref="CallbackStreamOptions.RedeliverAfter"/> (its grain failed, its silo died, the agent gave up) is
/// delivered again, each time waiting twice as long, up to <see cref="CallbackStreamOptions.RedeliverMaxWait"/>; nothing is ever dropped. Until such a
/// row is marked, its stream's rows read meanwhile are held back (counted against the in-flight bound), so that after an
/// outage longer than the pulling agent's retries a newer callback never overtakes an older one.
/// </summary>
public sealed partial class InboxQueueReceiver(
    int queue, CallbackStreamOptions options, CallbackInboxStore store, CallbackInbox inbox, TimeProvider time, ILogger<InboxQueueReceiver> logger)
    : IQueueAdapterReceiver
{
    private sealed class Delivery(long at, string stream)
    {
        public long At { get; set; } = at;
        public int Attempts { get; set; } = 1;
        public long FirstAt { get; } = at;
        public string Stream { get; } = stream;
    }

    private readonly Dictionary<long, Delivery> _inFlight = [];
    /// <summary>Streams with a row delivered again and not yet marked, and the newer rows of each held back meanwhile.</summary>
    private readonly Dictionary<string, List<StoredRow>> _stalled = new(StringComparer.Ordinal);
    private int _parked;
    private readonly ConcurrentQueue<IReadOnlyList<long>> _acknowledged = new();
    private readonly Queue<StoredRow> _ready = new();
    /// <summary>Rows in <see cref="_ready"/> that go again: their stream's next batch says so (<see cref="CallbackBatch.Again"/>).</summary>
    private readonly HashSet<long> _again = [];
    private readonly int _maxInFlight = Math.Max(1, options.MaxInFlight / Math.Max(1, options.StreamQueues));
    private long _cursor;
    private long _lastPoll;
    private long _lastSweep;
    private long _lastGauge;
    /// <summary>True until the first read, and while the last read filled a batch: read again without waiting.</summary>
    private bool _more = true;
    private long _sequence;
    private IDisposable? _gauge;

    // Published for the inbox gauges, which are read on the exporter's thread.
    private long _backlog;
    private long _oldestAt = -1;

    public int InFlight => _inFlight.Count;

    public Task Initialize(TimeSpan timeout)
    {
        inbox.Acknowledged += OnAcknowledged;
        _gauge = WeComTelemetry.ObserveInboxQueue(() =>
        {
            var oldest = Volatile.Read(ref _oldestAt);
            return (Volatile.Read(ref _backlog), oldest < 0 ? TimeSpan.Zero : time.GetElapsedTime(oldest));
        });
        _lastSweep = time.GetTimestamp();
        return Task.CompletedTask;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        while (_acknowledged.TryDequeue(out var ids))
            foreach (var id in ids) _inFlight.Remove(id);

        var now = time.GetTimestamp();
        if (_stalled.Count > 0) ReleaseRecovered(now);
        if (time.GetElapsedTime(_lastSweep, now) >= options.RedeliverAfter / 3) await SweepAsync(now, cancellationToken);

        if (_ready.Count == 0 && _inFlight.Count + _parked < _maxInFlight)
        {
            var rows = new List<StoredRow>();
            if (_more || !inbox.TryTakeCommitted(queue, _cursor, options.ReadBatch, rows))
            {
                if (_more || inbox.LatestStored(queue) > _cursor || time.GetElapsedTime(_lastPoll, now) >= options.PollInterval)
                {
                    var latest = inbox.LatestStored(queue);
                    rows = await store.LoadQueueAsync(queue, _cursor, options.ReadBatch, cancellationToken);
                    _lastPoll = now;
                    _more = rows.Count == options.ReadBatch;
                    // Caught up with the table: every row this process stored up to then was in that read, or is processed.
                    if (!_more && inbox.HandsOver) _cursor = Math.Max(_cursor, latest);
                }
            }

            foreach (var row in rows)
            {
                _cursor = Math.Max(_cursor, row.Id);
                if (_stalled.TryGetValue(row.Stream, out var held))
                {
                    held.Add(row);
                    _parked++;
                    continue;
                }

                _inFlight[row.Id] = new Delivery(now, row.Stream);
                _ready.Enqueue(row);
            }
        }

        Volatile.Write(ref _backlog, _inFlight.Count + _parked);
        // The oldest is a scan of every row in flight (tens of thousands under load): once a second is enough for a gauge.
        if (_inFlight.Count == 0) Volatile.Write(ref _oldestAt, -1);
        else if (time.GetElapsedTime(_lastGauge, now) >= TimeSpan.FromSeconds(1))
        {
            _lastGauge = now;
            Volatile.Write(ref _oldestAt, _inFlight.Values.Min(d => d.FirstAt));
        }
        return Take(maxCount);
    }

    /// <summary>Up to <paramref name="maxCount"/> events (-1: any number), each the ready rows of one stream in id order.</summary>
    private List<IBatchContainer> Take(int maxCount)
    {
        var events = new List<IBatchContainer>();
        if (_ready.Count == 0) return events;
        var groups = _ready.GroupBy(r => r.Stream).ToList();
        _ready.Clear();
        foreach (var group in groups)
        {
            if (maxCount >= 0 && events.Count >= maxCount)
            {
                foreach (var row in group) _ready.Enqueue(row);
                continue;
            }

            var items = group.OrderBy(r => r.Id).Select(r => new InboxCallback(r.Id, r.HostKey, r.Body, r.ReceivedAt, r.TraceParent)).ToList();
            var again = _again.Count > 0 && group.Count(r => _again.Remove(r.Id)) > 0;
            events.Add(new InboxBatchContainer(StreamId.Create(CallbackStreams.Namespace, group.Key), new CallbackBatch(items, again), new EventSequenceTokenV2(++_sequence)));
        }

        return events;
    }

    /// <summary>
    /// Forgets rows processed meanwhile (on any silo) and delivers again those overdue, each with every other row of its
    /// stream still in flight, oldest first and from then on on one schedule: a newer row delivered again on its own could
    /// be applied while an older one of its stream still waits for its turn.
    /// </summary>
    private async Task SweepAsync(long now, CancellationToken cancellationToken)
    {
        _lastSweep = now;
        var streams = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in _inFlight.Values)
            if (time.GetElapsedTime(d.At, now) >= Wait(d.Attempts)) streams[d.Stream] = Math.Max(d.Attempts, streams.GetValueOrDefault(d.Stream));
        if (streams.Count == 0) return;
        var due = _inFlight.Where(d => streams.ContainsKey(d.Value.Stream)).Select(d => d.Key).Order().ToList();

        var pending = new Dictionary<long, StoredRow>();
        foreach (var chunk in due.Chunk(1000))
            foreach (var row in await store.LoadStillPendingAsync(chunk, cancellationToken)) pending[row.Id] = row;

        var ready = _ready.Count == 0 ? null : _ready.Select(r => r.Id).ToHashSet();
        var again = 0;
        foreach (var id in due)
        {
            if (!pending.TryGetValue(id, out var row))
            {
                _inFlight.Remove(id);
                continue;
            }

            var delivery = _inFlight[id];
            delivery.At = now;
            delivery.Attempts = streams[row.Stream] + 1;
            if (ready?.Contains(id) != true) _ready.Enqueue(row);
            _again.Add(id);
            // Its stream's rows read from now on wait until this one is marked: a newer callback must not overtake it.
            _stalled.TryAdd(row.Stream, []);
            again++;
        }

        if (again == 0) return;
        LogRedelivering(logger, queue, again);
        WeComTelemetry.CallbacksRedelivered.Add(again);
    }

    /// <summary>Delivers the held-back rows of each stalled stream whose rows delivered again are all marked now.</summary>
    private void ReleaseRecovered(long now)
    {
        var waiting = _inFlight.Values.Where(d => d.Attempts > 1).Select(d => d.Stream).ToHashSet(StringComparer.Ordinal);
        foreach (var (stream, held) in _stalled.Where(p => !waiting.Contains(p.Key)).ToList())
        {
            _stalled.Remove(stream);
            _parked -= held.Count;
            foreach (var row in held)
            {
                _inFlight[row.Id] = new Delivery(now, row.Stream);
                _ready.Enqueue(row);
            }
        }
    }

    private TimeSpan Wait(int attempts) =>
        TimeSpan.FromTicks(Math.Min(options.RedeliverMaxWait.Ticks, (long)(options.RedeliverAfter.Ticks * Math.Pow(2, Math.Min(20, attempts - 1)))));

    private void OnAcknowledged(IReadOnlyList<long> ids) => _acknowledged.Enqueue(ids);

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

    // Delivered is not processed: the grains mark rows processed once their effects are durable.
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task Shutdown(TimeSpan timeout)
    {
        inbox.Acknowledged -= OnAcknowledged;
        _gauge?.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback queue {Queue}: {Count} callbacks not marked processed in time are delivered again")]
    private static partial void LogRedelivering(ILogger logger, int queue, int count);
}

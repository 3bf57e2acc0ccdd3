using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Storage.Inbox;

public enum StoreOutcome { Stored, Duplicate }

public sealed record InboxStats(long Stored, long Duplicates, long Marked, long Transactions);

/// <summary>
/// The durable half of ingestion. Requests hand their callback to the inbox's group-commit writer, which stores
/// everything waiting in one transaction (and marks applied rows processed in the same one), so many concurrent
/// callbacks cost one commit; each request is answered only after that commit. The table is the stream provider's
/// queue: this process's receivers learn of new rows from <see cref="LatestStored"/> at once, other silos' rows on
/// their next poll.
/// </summary>
public sealed class CallbackInbox : IHostedService, ICallbackAcknowledger, IAsyncDisposable
{
    private readonly CallbackInboxStore _store;
    private readonly GroupCommitWriter<InboxWrite, long?> _writer;
    private readonly ConcurrentDictionary<int, long> _latest = new();
    private readonly ConcurrentDictionary<int, CommittedTail> _tails = new();
    private readonly TimeProvider _time;
    private long _stores;
    private long _duplicates;
    private long _marked;

    public CallbackInbox(CallbackInboxStore store, IOptions<CallbackInboxOptions> options, [FromKeyedServices(CallbackStreams.Clock)] TimeProvider time,
        ILogger<CallbackInbox> logger)
    {
        _store = store;
        _time = time;
        var o = options.Value;
        HandsOver = o.SoleWriter ?? !store.Database.IsPostgreSql;
        store.InsertedOutsideWriter += OnInsertedOutsideWriter;
        // Niced: a callback's request waits for its commit, but the sends' path does not.
        _writer = new GroupCommitWriter<InboxWrite, long?>(
            new GroupCommitOptions { Name = "callback-inbox-writer", MaxBatch = o.BatchSize, Linger = o.BatchLinger, Nice = true },
            ct => store.Database.OpenAsync(ct, o.SqliteSynchronous),
            (session, writes, ct) => store.WriteAsync(session, writes, time.GetUtcNow().ToUnixTimeMilliseconds(), ct),
            logger, Committed);
    }

    /// <summary>Raised for rows marked processed by this process, so that a receiver here stops tracking them.</summary>
    public event Action<IReadOnlyList<long>>? Acknowledged;

    /// <summary>The largest row id this process has stored in <paramref name="queue"/> (0 when none).</summary>
    public long LatestStored(int queue) => _latest.GetValueOrDefault(queue);

    /// <summary>
    /// True when this process is the inbox's only writer (SQLite): then its receivers take the rows it committed from
    /// memory instead of reading them back, and read the table only to catch up (at start, after the tail overflowed).
    /// </summary>
    public bool HandsOver { get; }

    /// <summary>
    /// Rows of <paramref name="queue"/> committed here after <paramref name="afterId"/>, up to <paramref name="max"/>, in
    /// id order; false when the tail cannot vouch for every such row (the reader must read the table up to
    /// <see cref="LatestStored"/> first).
    /// </summary>
    public bool TryTakeCommitted(int queue, long afterId, int max, List<StoredRow> into)
    {
        if (!HandsOver || !_tails.TryGetValue(queue, out var tail)) return false;
        lock (tail)
        {
            if (afterId < tail.Since) return false;
            while (into.Count < max && tail.Rows.TryDequeue(out var row))
            {
                tail.Chars -= row.Body.Length;
                if (row.Id > afterId) into.Add(row);
            }

            return true;
        }
    }

    public InboxStats Stats => new(Interlocked.Read(ref _stores), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _marked), _writer.Transactions);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <summary>Stores the callback durably (or finds it stored already); the caller acknowledges the host after this.</summary>
    public async Task<StoreOutcome> StoreAsync(IncomingCallback callback, CancellationToken cancellationToken)
    {
        return await _writer.WriteAsync(new InboxWrite(callback, null, default), cancellationToken) is null ? StoreOutcome.Duplicate : StoreOutcome.Stored;
    }

    /// <summary>Marks the rows processed in the writer's next transaction; a mark lost to a failure only means the row is applied again after a restart.</summary>
    public void Acknowledge(IReadOnlyList<long> inboxIds, CallbackOutcome outcome)
    {
        if (inboxIds.Count == 0) return;
        _writer.Post(new InboxWrite(null, inboxIds, outcome));
        WeComTelemetry.CallbacksApplied.Add(inboxIds.Count, new KeyValuePair<string, object?>("outcome", outcome.ToString()));
        Acknowledged?.Invoke(inboxIds);
    }

    private ValueTask Committed(IReadOnlyList<InboxWrite> writes, long?[] ids, CancellationToken cancellationToken)
    {
        for (var i = 0; i < writes.Count; i++)
        {
            if (writes[i] is { Marks: { } marks }) Interlocked.Add(ref _marked, marks.Count);
            else if (ids[i] is { } id)
            {
                Interlocked.Increment(ref _stores);
                var c = writes[i].Callback!;
                if (HandsOver) Keep(c, id);
                _latest.AddOrUpdate(c.Queue, id, (_, known) => Math.Max(known, id));
            }
            else Interlocked.Increment(ref _duplicates);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Rows that did not pass through the writer (a re-drive): the tail cannot vouch for them, so readers catch up from the table.</summary>
    private void OnInsertedOutsideWriter(IReadOnlyList<(int Queue, long Id)> rows)
    {
        foreach (var (queue, id) in rows)
        {
            if (_tails.TryGetValue(queue, out var tail))
                lock (tail) tail.Since = Math.Max(tail.Since, id);
            _latest.AddOrUpdate(queue, id, (_, known) => Math.Max(known, id));
        }
    }

    /// <summary>Adds a committed row to its queue's tail; a full tail is dropped, and its reader catches up from the table.</summary>
    private void Keep(IncomingCallback c, long id)
    {
        var tail = _tails.GetOrAdd(c.Queue, static (_, first) => new CommittedTail { Since = first - 1 }, id);
        lock (tail)
        {
            if (tail.Rows.Count >= CommittedTail.MaxRows || tail.Chars + c.Body.Length > CommittedTail.MaxChars)
            {
                tail.Rows.Clear();
                tail.Chars = 0;
                tail.Since = id;
                return;
            }

            tail.Rows.Enqueue(new StoredRow(id, c.HostKey, c.Stream ?? c.Source, c.Body, _time.GetUtcNow().ToUnixTimeMilliseconds(), c.TraceParent));
            tail.Chars += c.Body.Length;
        }
    }

    /// <summary>A queue's rows committed here and not yet taken; every such row with an id above <see cref="Since"/> is in it.</summary>
    private sealed class CommittedTail
    {
        /// <summary>Bounds per queue: a queue no receiver here takes from (or one paused at its in-flight limit) drops its tail.</summary>
        public const int MaxRows = 4096;
        public const long MaxChars = 1 << 20;

        public long Since;
        public long Chars;
        public readonly Queue<StoredRow> Rows = new();
    }

    public async ValueTask DisposeAsync()
    {
        _store.InsertedOutsideWriter -= OnInsertedOutsideWriter;
        await _writer.DisposeAsync();
    }
}

using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Gateway.Callbacks;

public enum StoreOutcome { Stored, Duplicate }

/// <summary>
/// The durable half of ingestion. Requests hand their callback to one writer that stores everything waiting in one
/// transaction (and marks applied rows processed in the same one), so many concurrent callbacks cost one commit; each
/// request is answered only after that commit. Newly stored rows go on to the <see cref="CallbackDispatcher"/>.
/// </summary>
public sealed partial class CallbackInbox(
    CallbackInboxStore store,
    IOptions<CallbackOptions> options,
    TimeProvider time,
    ILogger<CallbackInbox> logger) : IHostedService, ICallbackAcknowledger
{
    private readonly CallbackOptions _options = options.Value;
    private readonly Channel<WriterItem> _work = Channel.CreateUnbounded<WriterItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<IReadOnlyList<StoredRow>> _stored = Channel.CreateBounded<IReadOnlyList<StoredRow>>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<long> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>
    /// Set whenever work is queued. The writer sleeps on it between batches: blocking on the channel's task instead
    /// spun the CPU first (Task.Wait spins before it sleeps), 6% of the host's CPU while sending at full pace.
    /// </summary>
    private readonly ManualResetEventSlim _queued = new(false, spinCount: 0);
    private Task? _writer;
    private long _stores;
    private long _duplicates;
    private long _marked;
    private long _transactions;

    /// <summary>Raised for rows marked processed by this process, so the dispatcher stops tracking them.</summary>
    public event Action<IReadOnlyList<long>>? Acknowledged;

    /// <summary>Completes with the largest row id present at start, once the schema exists: rows up to it are recovered.</summary>
    public Task<long> Ready => _ready.Task;

    /// <summary>Rows stored by this process, in commit order.</summary>
    public ChannelReader<IReadOnlyList<StoredRow>> Stored => _stored.Reader;

    public InboxStats Stats => new(Interlocked.Read(ref _stores), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _marked), Interlocked.Read(ref _transactions));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.EnsureSchemaAsync(cancellationToken);
            _ready.TrySetResult(await store.MaxIdAsync(cancellationToken));
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }

        // Microsoft.Data.Sqlite blocks inside its async methods (and every commit may wait for fsync): a thread of its
        // own keeps those waits off the thread pool that Kestrel and the silo share.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writer = done.Task;
        new Thread(() =>
        {
            try
            {
                Threading.BackgroundThreads.LowerPriorityOfCurrentThread();
                WriteLoop(_stopping.Token);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }) { IsBackground = true, Name = "callback-inbox-writer" }.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _work.Writer.TryComplete();
        _queued.Set();
        if (_writer is not null) await _writer.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stopping.CancelAsync();
    }

    /// <summary>Stores the callback durably (or finds it stored already); the caller acknowledges the host after this.</summary>
    public async Task<StoreOutcome> StoreAsync(IncomingCallback callback, CancellationToken cancellationToken)
    {
        await _ready.Task.WaitAsync(cancellationToken);
        var item = new InsertItem(callback, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_work.Writer.TryWrite(item)) throw new InvalidOperationException("the callback inbox is shutting down");
        _queued.Set();
        return await item.Done.Task ? StoreOutcome.Stored : StoreOutcome.Duplicate;
    }

    public void Acknowledge(IReadOnlyList<long> inboxIds, CallbackOutcome outcome)
    {
        if (inboxIds.Count == 0) return;
        if (_work.Writer.TryWrite(new MarkItem(inboxIds, outcome))) _queued.Set();
        Acknowledged?.Invoke(inboxIds);
    }

    private void WriteLoop(CancellationToken ct)
    {
        var reader = _work.Reader;
        var inserts = new List<InsertItem>(_options.BatchSize);
        var marks = new List<(long, CallbackOutcome)>();
        DbConnection? connection = null;
        try
        {
            while (WaitForWork(reader))
            {
                if (_options.BatchLinger > TimeSpan.Zero && reader.Count < _options.BatchSize) Thread.Sleep(_options.BatchLinger);
                while (inserts.Count < _options.BatchSize && reader.TryRead(out var item))
                {
                    if (item is InsertItem insert) inserts.Add(insert);
                    else if (item is MarkItem mark) marks.AddRange(mark.Ids.Select(id => (id, mark.Outcome)));
                }

                try
                {
                    connection ??= store.Open();
                    var ids = store.Write(connection, inserts.Select(i => i.Callback).ToList(), marks, time.GetUtcNow().ToUnixTimeMilliseconds());
                    Interlocked.Increment(ref _transactions);
                    Interlocked.Add(ref _marked, marks.Count);
                    var stored = new List<StoredRow>(inserts.Count);
                    var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                    for (var i = 0; i < inserts.Count; i++)
                    {
                        var c = inserts[i].Callback;
                        if (ids[i] is { } id) stored.Add(new StoredRow(id, c.HostKey, c.Source, c.Body, now));
                        else Interlocked.Increment(ref _duplicates);
                    }

                    Interlocked.Add(ref _stores, stored.Count);
                    // Hand on before answering, so the dispatcher's back-pressure reaches the hosts.
                    if (stored.Count > 0 && !_stored.Writer.TryWrite(stored)) _stored.Writer.WriteAsync(stored, ct).AsTask().GetAwaiter().GetResult();
                    for (var i = 0; i < inserts.Count; i++) inserts[i].Done.TrySetResult(ids[i] is not null);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogWriteFailed(logger, e, inserts.Count, marks.Count);
                    foreach (var i in inserts) i.Done.TrySetException(e);
                    connection?.Dispose();
                    connection = null;
                    // Marks are only an optimisation of recovery: retry them with the next transaction.
                    foreach (var group in marks.GroupBy(m => m.Item2)) _work.Writer.TryWrite(new MarkItem(group.Select(m => m.Item1).ToList(), group.Key));
                    Thread.Sleep(200);
                }

                inserts.Clear();
                marks.Clear();
            }
        }
        finally
        {
            _stored.Writer.TryComplete();
            connection?.Dispose();
        }
    }

    /// <summary>Sleeps until an item is queued; false once the channel is completed and drained.</summary>
    private bool WaitForWork(ChannelReader<WriterItem> reader)
    {
        while (true)
        {
            // Checked after every reset: an item queued between the check and the wait has set the event already.
            if (reader.TryPeek(out _)) return true;
            if (reader.Completion.IsCompleted) return false;
            _queued.Wait();
            _queued.Reset();
        }
    }

    private abstract record WriterItem;
    private sealed record InsertItem(IncomingCallback Callback, TaskCompletionSource<bool> Done) : WriterItem;
    private sealed record MarkItem(IReadOnlyList<long> Ids, CallbackOutcome Outcome) : WriterItem;

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback inbox: a transaction of {Inserts} callbacks and {Marks} marks failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception e, int inserts, int marks);
}

public sealed record InboxStats(long Stored, long Duplicates, long Marked, long Transactions);

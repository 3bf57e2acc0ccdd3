using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Storage.Inbox;

public enum StoreOutcome { Stored, Duplicate }

public sealed record InboxStats(long Stored, long Duplicates, long Marked, long Transactions);

/// <summary>
/// The durable half of ingestion. Requests hand their callback to the inbox's group-commit writer, which stores
/// everything waiting in one transaction (and marks applied rows processed in the same one), so many concurrent
/// callbacks cost one commit; each request is answered only after that commit. Newly stored rows go on through
/// <see cref="Stored"/> before the requests are answered, so the dispatcher's back-pressure reaches the hosts.
/// </summary>
public sealed class CallbackInbox : IHostedService, ICallbackAcknowledger, IAsyncDisposable
{
    private readonly CallbackInboxStore _store;
    private readonly TimeProvider _time;
    private readonly GroupCommitWriter<InboxWrite, long?> _writer;
    private readonly Channel<IReadOnlyList<StoredRow>> _stored = Channel.CreateBounded<IReadOnlyList<StoredRow>>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<long> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _stores;
    private long _duplicates;
    private long _marked;

    public CallbackInbox(CallbackInboxStore store, IOptions<CallbackInboxOptions> options, TimeProvider time, ILogger<CallbackInbox> logger)
    {
        _store = store;
        _time = time;
        var o = options.Value;
        // Niced: a callback's request waits for its commit, but the sends' path does not.
        _writer = new GroupCommitWriter<InboxWrite, long?>(
            new GroupCommitOptions { Name = "callback-inbox-writer", MaxBatch = o.BatchSize, Linger = o.BatchLinger, Nice = true },
            ct => store.Database.OpenAsync(ct, o.SqliteSynchronous),
            (session, writes, ct) => store.WriteAsync(session, writes, time.GetUtcNow().ToUnixTimeMilliseconds(), ct),
            logger, HandOnAsync);
    }

    /// <summary>Raised for rows marked processed by this process, so the dispatcher stops tracking them.</summary>
    public event Action<IReadOnlyList<long>>? Acknowledged;

    /// <summary>Completes with the largest row id present at start, once the schema exists: rows up to it are recovered.</summary>
    public Task<long> Ready => _ready.Task;

    /// <summary>Rows stored by this process, in commit order.</summary>
    public ChannelReader<IReadOnlyList<StoredRow>> Stored => _stored.Reader;

    public InboxStats Stats => new(Interlocked.Read(ref _stores), Interlocked.Read(ref _duplicates), Interlocked.Read(ref _marked), _writer.Transactions);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _ready.TrySetResult(await _store.MaxIdAsync(cancellationToken));
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <summary>Stores the callback durably (or finds it stored already); the caller acknowledges the host after this.</summary>
    public async Task<StoreOutcome> StoreAsync(IncomingCallback callback, CancellationToken cancellationToken)
    {
        await _ready.Task.WaitAsync(cancellationToken);
        return await _writer.WriteAsync(new InboxWrite(callback, null, default), cancellationToken) is null ? StoreOutcome.Duplicate : StoreOutcome.Stored;
    }

    /// <summary>Marks the rows processed in the writer's next transaction; a mark lost to a failure only means the row is applied again after a restart.</summary>
    public void Acknowledge(IReadOnlyList<long> inboxIds, CallbackOutcome outcome)
    {
        if (inboxIds.Count == 0) return;
        _writer.Post(new InboxWrite(null, inboxIds, outcome));
        Acknowledged?.Invoke(inboxIds);
    }

    private async ValueTask HandOnAsync(IReadOnlyList<InboxWrite> writes, long?[] ids, CancellationToken cancellationToken)
    {
        var stored = new List<StoredRow>();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < writes.Count; i++)
        {
            if (writes[i] is { Marks: { } marks }) Interlocked.Add(ref _marked, marks.Count);
            else if (ids[i] is { } id) stored.Add(new StoredRow(id, writes[i].Callback!.HostKey, writes[i].Callback!.Source, writes[i].Callback!.Body, now));
            else Interlocked.Increment(ref _duplicates);
        }

        Interlocked.Add(ref _stores, stored.Count);
        if (stored.Count > 0 && !_stored.Writer.TryWrite(stored)) await _stored.Writer.WriteAsync(stored, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _stored.Writer.TryComplete();
    }
}

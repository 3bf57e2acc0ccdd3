using System.Threading.Channels;
using OrleansWeCom.Storage.Threading;

namespace OrleansWeCom.Storage;

public sealed class GroupCommitOptions
{
    /// <summary>Names the writer's thread and its log lines.</summary>
    public required string Name { get; init; }

    /// <summary>Items written in one transaction at most.</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>Items queued at most before writers wait (back-pressure); 0 for no limit.</summary>
    public int Capacity { get; init; }

    /// <summary>How long the loop waits for more items before a transaction that is not full (zero: write what is there).</summary>
    public TimeSpan Linger { get; init; }

    /// <summary>Run the loop's thread nicer than the silo (<see cref="BackgroundThreads"/>): for writers off the send path.</summary>
    public bool Nice { get; init; }
}

/// <summary>
/// Group commit, the one threading model of our stores: callers queue items, and one loop on a thread of its own writes
/// whatever is queued in one transaction and completes each caller's task once it is durable. Microsoft.Data.Sqlite
/// blocks inside its async methods (a commit may wait for fsync), so the loop's thread keeps those waits off the thread
/// pool that Kestrel and the grains share; its awaits come back to it. When a batch fails, its items are written again
/// one by one, so one bad item fails alone and the rest commit.
/// </summary>
/// <typeparam name="TItem">What callers queue.</typeparam>
/// <typeparam name="TResult">What a caller learns of its item once committed.</typeparam>
public sealed partial class GroupCommitWriter<TItem, TResult> : IAsyncDisposable
{
    /// <summary>Writes the items inside the session's open transaction; returns one result per item, in order.</summary>
    public delegate Task<TResult[]> BatchWriter(WriterSession session, IReadOnlyList<TItem> items, CancellationToken cancellationToken);

    /// <summary>Runs after a commit and before the callers are answered (a place for back-pressure on what follows).</summary>
    public delegate ValueTask CommittedHandler(IReadOnlyList<TItem> items, TResult[] results, CancellationToken cancellationToken);

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly GroupCommitOptions _options;
    private readonly Func<CancellationToken, Task<DbConnection>> _open;
    private readonly BatchWriter _write;
    private readonly CommittedHandler? _committed;
    private readonly ILogger _logger;
    private readonly Channel<Entry> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly BackgroundScheduler _scheduler;
    private readonly Task _loop;
    private WriterSession? _session;
    private int _disposed;

    public GroupCommitWriter(GroupCommitOptions options, Func<CancellationToken, Task<DbConnection>> open, BatchWriter write, ILogger logger,
        CommittedHandler? committed = null)
    {
        _options = options;
        _open = open;
        _write = write;
        _committed = committed;
        _logger = logger;
        _queue = options.Capacity > 0
            ? Channel.CreateBounded<Entry>(new BoundedChannelOptions(options.Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait })
            : Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
        _scheduler = new BackgroundScheduler(options.Name, options.Nice);
        _loop = _scheduler.Run(RunAsync);
    }

    /// <summary>Transactions committed so far.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    private long _transactions;

    /// <summary>Queues the item; completes with its result once it is committed, or fails with what failed it.</summary>
    public async Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken = default)
    {
        var entry = new Entry(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(entry))
        {
            try
            {
                await _queue.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"{_options.Name} is shutting down");
            }
        }

        return await entry.Done!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the item for the next transaction without waiting for it; false when the writer is stopping.</summary>
    public bool Post(TItem item) => _queue.Writer.TryWrite(new Entry(item, null));

    private readonly record struct Entry(TItem Item, TaskCompletionSource<TResult>? Done);

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        var reader = _queue.Reader;
        var batch = new List<Entry>(_options.MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(stopping))
            {
                if (_options.Linger > TimeSpan.Zero && reader.CanCount && reader.Count < _options.MaxBatch) Thread.Sleep(_options.Linger);
                while (batch.Count < _options.MaxBatch && reader.TryRead(out var entry)) batch.Add(entry);
                await FlushAsync(batch, stopping);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        foreach (var entry in batch) entry.Done?.TrySetCanceled(stopping);
        while (reader.TryRead(out var left)) left.Done?.TrySetException(new InvalidOperationException($"{_options.Name} stopped before writing this"));
        await DropSessionAsync();
    }

    private async Task FlushAsync(List<Entry> batch, CancellationToken stopping)
    {
        try
        {
            await CommitAsync(batch, stopping);
        }
        catch (Exception e) when (batch.Count > 1 && !stopping.IsCancellationRequested)
        {
            LogBatchRetry(_logger, _options.Name, batch.Count, e.Message);
            foreach (var entry in batch)
            {
                try
                {
                    await CommitAsync([entry], stopping);
                }
                catch (Exception single)
                {
                    entry.Done?.TrySetException(single);
                    if (entry.Done is null) LogItemLost(_logger, _options.Name, single.Message);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var entry in batch) entry.Done?.TrySetException(e);
            if (batch.Any(entry => entry.Done is null)) LogItemLost(_logger, _options.Name, e.Message);
        }
    }

    private async Task CommitAsync(IReadOnlyList<Entry> entries, CancellationToken stopping)
    {
        var items = entries.Select(e => e.Item).ToList();
        TResult[] results;
        // One connection for the loop's life (opening one per batch costs more than many rows); a failure drops it.
        var session = _session ??= new WriterSession(await _open(stopping));
        try
        {
            await using var transaction = await session.Connection.BeginTransactionAsync(stopping);
            session.Transaction = transaction;
            results = await _write(session, items, stopping);
            await transaction.CommitAsync(stopping);
            session.Transaction = null;
        }
        catch
        {
            await DropSessionAsync();
            throw;
        }

        Interlocked.Increment(ref _transactions);
        if (_committed is not null)
        {
            try
            {
                await _committed(items, results, stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCommittedHandlerFailed(_logger, _options.Name, e);
            }
        }

        for (var i = 0; i < entries.Count; i++) entries[i].Done?.TrySetResult(results[i]);
    }

    private async Task DropSessionAsync()
    {
        if (_session is not { } session) return;
        _session = null;
        await session.DisposeAsync();
    }

    /// <summary>Writes what is queued, then ends the loop; after <see cref="DrainTimeout"/> what is left fails.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_loop, Task.Delay(DrainTimeout)) != _loop) await _stopping.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _scheduler.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Writer}: a batch of {Count} failed ({Error}); writing them one by one")]
    private static partial void LogBatchRetry(ILogger logger, string writer, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Writer}: an item nobody waits for was not written ({Error})")]
    private static partial void LogItemLost(ILogger logger, string writer, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Writer}: handing on a committed batch failed")]
    private static partial void LogCommittedHandlerFailed(ILogger logger, string writer, Exception exception);
}

/// <summary>The writer loop's connection, the transaction of the batch being written, and statements prepared once per connection.</summary>
public sealed class WriterSession(DbConnection connection) : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _prepared = new(StringComparer.Ordinal);

    public DbConnection Connection { get; } = connection;

    public DbTransaction? Transaction { get; internal set; }

    /// <summary>A command in the current transaction.</summary>
    public DbCommand Command(string sql) => Sql.Command(Connection, sql, Transaction);

    /// <summary>
    /// A statement prepared on first use and kept for the connection's life (preparing one per batch cost more than the
    /// rows it wrote), with one parameter per name in the order given, bound to the current transaction.
    /// </summary>
    public async ValueTask<DbCommand> PreparedAsync(string sql, IReadOnlyList<string> parameters, CancellationToken cancellationToken,
        Action<DbCommand>? configure = null)
    {
        if (!_prepared.TryGetValue(sql, out var command))
        {
            command = Sql.Command(Connection, sql);
            foreach (var name in parameters) Sql.Add(command, name, null);
            configure?.Invoke(command);
            await command.PrepareAsync(cancellationToken);
            _prepared[sql] = command;
        }

        command.Transaction = Transaction;
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _prepared.Values) await command.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Gateway.Callbacks;

/// <summary>
/// Hands stored callbacks to their container's router grain: first every row left unprocessed by an earlier run (in
/// inbox order), then what the inbox stores. Each container has a lane: its batches go to its router one after the
/// other, in inbox order, while containers proceed side by side and the dispatcher itself never waits for a router. A
/// row not marked processed within <see cref="CallbackOptions.RedeliverAfter"/> (its router failed, or a silo died
/// with it) is handed over again; the routers' idempotency makes that harmless. Also deletes processed rows past the
/// de-duplication retention.
/// </summary>
public sealed partial class CallbackDispatcher(
    CallbackInbox inbox,
    CallbackInboxStore store,
    IClusterClient client,
    IOptions<CallbackOptions> options,
    TimeProvider time,
    ILogger<CallbackDispatcher> logger) : BackgroundService
{
    private const int MaxRowsPerPublish = 4096;
    private readonly CallbackOptions _options = options.Value;
    private readonly ConcurrentDictionary<long, InFlight> _inFlight = new();
    private SemaphoreSlim? _capacity;

    private CancellationToken _stopping;

    /// <summary>The last hand-over of each container, which its next one follows.</summary>
    private readonly Dictionary<string, Task> _lanes = new(StringComparer.Ordinal);
    private long _published;
    private long _redelivered;

    /// <summary>A handed-over row awaiting its mark, keyed by its id; no body, so that many can wait (it is read again to redeliver).</summary>
    private sealed class InFlight
    {
        public long PublishedAt { get; set; }
        public int Attempts { get; set; } = 1;
    }

    public DispatcherStats Stats => new(Interlocked.Read(ref _published), Interlocked.Read(ref _redelivered), _inFlight.Count);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        _stopping = ct;
        _capacity = new SemaphoreSlim(_options.MaxInFlight, _options.MaxInFlight);
        inbox.Acknowledged += OnAcknowledged;
        var maxRecovered = await inbox.Ready.WaitAsync(ct);
        var sweeper = SweepLoopAsync(ct);
        var cleaner = CleanupLoopAsync(ct);

        await RecoverAsync(maxRecovered, ct);
        try
        {
            // While a publish is under way commits pile up; taking them together makes fewer, larger stream items.
            var reader = inbox.Stored;
            while (await reader.WaitToReadAsync(ct))
            {
                var rows = new List<StoredRow>();
                while (rows.Count < MaxRowsPerPublish && reader.TryRead(out var more)) rows.AddRange(more);
                await DispatchAsync(rows, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        await Task.WhenAll(sweeper, cleaner).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RecoverAsync(long maxId, CancellationToken ct)
    {
        long after = 0, count = 0;
        while (true)
        {
            var rows = await Retry(() => store.LoadPendingAsync(after, maxId, 1000, ct), ct);
            if (rows.Count == 0) break;
            await DispatchAsync(rows, ct);
            count += rows.Count;
            after = rows[^1].Id;
        }

        if (count > 0) LogRecovered(logger, count);
    }

    private async Task DispatchAsync(IReadOnlyList<StoredRow> rows, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var row in rows)
        {
            await _capacity!.WaitAsync(ct);
            if (!_inFlight.TryAdd(row.Id, new InFlight { PublishedAt = now })) _capacity.Release();
        }

        Publish(rows);
    }

    /// <summary>
    /// One batch per container, queued on its lane. (Memory streams did this before: they added a queue grain, a poll,
    /// and two copies of every callback, and no durability, which the inbox already gives.)
    /// </summary>
    private void Publish(IReadOnlyList<StoredRow> rows)
    {
        foreach (var group in rows.GroupBy(r => r.Source))
        {
            var batch = new CallbackBatch(group.Select(r => new InboxCallback(r.Id, r.HostKey, r.Body, r.ReceivedAt)).ToList());
            lock (_lanes)
            {
                var lane = HandOverAsync(_lanes.GetValueOrDefault(group.Key) ?? Task.CompletedTask, group.Key, batch);
                _lanes[group.Key] = lane;
                _ = lane.ContinueWith(done => EndLane(group.Key, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        Interlocked.Add(ref _published, rows.Count);
    }

    private async Task HandOverAsync(Task previous, string container, CallbackBatch batch)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // A router fails only when the cluster does (it keeps a callback it cannot apply unmarked): a silo starting or
        // leaving. A few quick retries ride that out in order; after them the sweep hands the rows over again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.GetGrain<ICallbackRouterGrain>(container).ApplyAsync(batch);
                return;
            }
            catch (Exception e) when (attempt < 5 && !_stopping.IsCancellationRequested)
            {
                LogHandOverRetry(logger, container, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), time, _stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception e)
            {
                LogHandOverFailed(logger, e, container, batch.Items.Count);
                return;
            }
        }
    }

    /// <summary>Forgets a container's lane once its last hand-over is done, so idle containers cost nothing.</summary>
    private void EndLane(string container, Task done)
    {
        lock (_lanes)
        {
            if (_lanes.TryGetValue(container, out var last) && last == done) _lanes.Remove(container);
        }
    }

    private void OnAcknowledged(IReadOnlyList<long> ids)
    {
        foreach (var id in ids)
            if (_inFlight.TryRemove(id, out _)) _capacity!.Release();
    }

    private async Task SweepLoopAsync(CancellationToken ct)
    {
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, _options.RedeliverAfter.Ticks / 3));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await SweepAsync(ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogSweepFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes again what was not applied in time; gives up (marks failed) after the attempt limit.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var cutoff = now - (long)_options.RedeliverAfter.TotalMilliseconds;
        var stale = _inFlight.Where(f => f.Value.PublishedAt <= cutoff).OrderBy(f => f.Key).ToList();
        if (stale.Count == 0) return;

        // In a cluster another silo's router may have applied and marked them.
        var pending = (await store.LoadStillPendingAsync(stale.Select(f => f.Key).ToList(), ct)).ToDictionary(r => r.Id);
        var again = new List<StoredRow>();
        var failed = new List<long>();
        foreach (var (id, f) in stale)
        {
            if (!pending.TryGetValue(id, out var row)) OnAcknowledged([id]);
            else if (f.Attempts >= _options.MaxAttempts) failed.Add(id);
            else
            {
                f.Attempts++;
                f.PublishedAt = now;
                again.Add(row);
            }
        }

        if (failed.Count > 0)
        {
            LogGivenUp(logger, failed.Count, _options.MaxAttempts);
            inbox.Acknowledge(failed, CallbackOutcome.Failed);
        }

        if (again.Count > 0)
        {
            Interlocked.Add(ref _redelivered, again.Count);
            LogRedelivering(logger, again.Count);
            Publish(again);
        }
    }

    private async Task CleanupLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var cutoff = time.GetUtcNow() - _options.DedupRetention;
                    var deleted = await store.CleanupAsync(cutoff.ToUnixTimeMilliseconds(), ct);
                    if (deleted > 0) LogCleaned(logger, deleted, cutoff);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    LogSweepFailed(logger, e);
                }

                await Task.Delay(_options.CleanupInterval, time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Retries until it works or the service stops: the silo may still be starting, the database busy.</summary>
    private async Task<T> Retry<T>(Func<Task<T>> action, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogRetry(logger, e.Message, delay);
                await Task.Delay(delay, time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public override void Dispose()
    {
        inbox.Acknowledged -= OnAcknowledged;
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback inbox: {Count} callbacks stored before the restart and not yet applied are applied now")]
    private static partial void LogRecovered(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback inbox: {Count} callbacks not applied in time are handed over again")]
    private static partial void LogRedelivering(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback inbox: {Count} callbacks failed {Attempts} times and are marked failed (kept in the inbox)")]
    private static partial void LogGivenUp(ILogger logger, int count, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback inbox: router of {Container} unavailable ({Error}); retrying")]
    private static partial void LogHandOverRetry(ILogger logger, string container, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback inbox: {Count} callbacks of {Container} could not be handed over; the sweep hands them over again")]
    private static partial void LogHandOverFailed(ILogger logger, Exception e, string container, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback inbox: {Error}; retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback inbox: redelivery or cleanup pass failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback inbox: deleted {Count} processed callbacks received before {Cutoff:O}")]
    private static partial void LogCleaned(ILogger logger, long count, DateTimeOffset cutoff);
}

public sealed record DispatcherStats(long Published, long Redelivered, int InFlight);

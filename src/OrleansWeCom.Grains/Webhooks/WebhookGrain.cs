using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Webhooks;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>
/// Delivers one tenant's events to its webhook. The event log is the queue: a cursor (watermark) marks the point up
/// to which everything is settled, rows carry their delivery state, so retries survive restarts without a grain-state
/// write per event. A timer drives turns; each turn keeps up to <see cref="WebhookOptions.MaxConcurrency"/> POSTs in
/// flight. Order: an event waits until every earlier event of its conversation (or of its account, for events outside
/// conversations) is delivered or dead.
/// </summary>
public sealed partial class WebhookGrain(
    IEventLog log,
    WebhookSender sender,
    WebhookUrlGuard guard,
    IOptionsMonitor<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookGrain> logger) : Grain, IWebhookGrain
{
    private readonly SortedDictionary<long, Pending> _window = new();
    private readonly List<long> _delivered = [];
    private WebhookRecord? _config;
    private byte[]? _key;
    private long _readUpTo;
    private long _savedWatermark;
    private bool _lookInLog = true;
    private bool _lookForReplays = true;
    private bool _inTurn;
    private IGrainTimer? _timer;
    private DateTimeOffset _lastCursorSave;
    private DateTimeOffset _lastRefill;

    private TenantId Tenant => new(this.GetPrimaryKeyString());
    private WebhookOptions O => options.CurrentValue;

    /// <summary>An undelivered event in the window.</summary>
    private sealed class Pending(StoredEvent stored, DateTimeOffset now)
    {
        public StoredEvent Stored { get; } = stored;
        public long Seq => Stored.Entry.TenantSeq;
        public string Key { get; } = stored.Entry.Event.ConversationId is { Length: > 0 } c ? c : "account:" + stored.Entry.Account;
        public int Attempts { get; set; }
        public DateTimeOffset NextAt { get; set; } = now;
        public string? LastError { get; set; }
        public bool InFlight { get; set; }
        public byte[]? Body { get; set; }
        public bool IsReplay => Stored.State == DeliveryState.Replay;

        /// <summary>The retry window runs from when the event was stored, or replayed.</summary>
        public DateTimeOffset GiveUpAt(TimeSpan window) =>
            DateTimeOffset.FromUnixTimeMilliseconds(Stored.ReplayedAt ?? Stored.Entry.StoredAt) + window;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _config = await log.GetWebhookAsync(Tenant, cancellationToken);
        if (_config is null) return;
        _key = WebhookSignature.KeyOf(_config.Secret);
        _readUpTo = _savedWatermark = _config.Watermark;
        ScheduleNext();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await SaveCursorAsync(force: true);
        }
        catch (Exception e)
        {
            LogCursorSaveFailed(logger, Tenant.Value, e.Message);
        }
    }

    public async Task<WebhookConfigured> ConfigureAsync(string url, string? secret, bool rotateSecret)
    {
        url = url.Trim();
        if (await guard.CheckAsync(url) is { } refusal) throw WeComException.BadRequest($"webhook url refused: {refusal}");
        var generated = false;
        if (secret is not null)
        {
            if (WebhookSignature.KeyOf(secret) is null)
                throw WeComException.BadRequest("secret must be 'whsec_' followed by the base64 of 24 to 64 random bytes");
        }
        else if (_config is null || rotateSecret)
        {
            secret = WebhookSignature.NewSecret();
            generated = true;
        }
        else
        {
            secret = _config.Secret;
        }

        var now = time.GetUtcNow();
        // A new webhook receives what happens from now on; earlier events stay readable through the event log.
        var watermark = _config?.Watermark ?? await log.GetTenantHeadAsync(Tenant);
        var record = new WebhookRecord(Tenant, url, secret, watermark, now.ToUnixTimeMilliseconds());
        await log.SaveWebhookAsync(record);
        if (_config is null) _readUpTo = _savedWatermark = watermark;
        _config = record;
        _key = WebhookSignature.KeyOf(secret);
        foreach (var pending in _window.Values) pending.NextAt = now; // a new URL deserves a prompt try
        _lookInLog = _lookForReplays = true;
        LogConfigured(logger, Tenant.Value, url);
        if (!_inTurn) ScheduleNext();
        return new WebhookConfigured(url, generated ? secret : null, generated);
    }

    public async Task<WebhookView> GetAsync()
    {
        var config = _config;
        var (pending, dead) = await log.CountAsync(Tenant, _savedWatermark);
        return new WebhookView(config?.Url, config is not null, config?.UpdatedAt, config is null ? 0 : pending, dead);
    }

    public Task NotifyAsync()
    {
        _lookInLog = true;
        if (!_inTurn) ScheduleNext();
        return Task.CompletedTask;
    }

    public async Task<int> ReplayAsync(IReadOnlyList<string>? msgIds)
    {
        if (_config is null) throw WeComException.InvalidState("no webhook is configured: PUT /gnapi/open/webhook first");
        var count = await log.RequeueDeadAsync(Tenant, msgIds, time.GetUtcNow());
        LogReplay(logger, Tenant.Value, count);
        _lookForReplays = true;
        if (!_inTurn) ScheduleNext();
        return count;
    }

    /// <summary>One delivery turn: fill the window, keep POSTs in flight until the budget is spent, save the cursor.</summary>
    private async Task DeliverAsync(CancellationToken cancellationToken)
    {
        if (_config is null || _key is null) return;
        _inTurn = true;
        var inflight = new Dictionary<Task<DeliveryOutcome>, Pending>();
        try
        {
            var until = time.GetUtcNow() + O.TurnBudget;
            await RefillAsync();
            Launch(inflight);
            while (inflight.Count > 0)
            {
                var done = await Task.WhenAny(inflight.Keys);
                var item = inflight[done];
                inflight.Remove(done);
                await SettleAsync(item, await done);
                var now = time.GetUtcNow();
                if (now >= until) continue; // drain what is in flight, start nothing new
                if ((_lookInLog || _lookForReplays) && now - _lastRefill > TimeSpan.FromMilliseconds(100)) await RefillAsync();
                Launch(inflight);
            }

            await SaveCursorAsync(force: false);
        }
        catch (Exception e)
        {
            LogTurnFailed(logger, Tenant.Value, e);
            foreach (var item in inflight.Values) item.InFlight = false;
            _lookInLog = true;
        }
        finally
        {
            _inTurn = false;
            ScheduleNext();
        }
    }

    private async Task RefillAsync()
    {
        var now = time.GetUtcNow();
        _lastRefill = now;
        if (_lookForReplays)
        {
            _lookForReplays = false;
            var replays = await log.ReadReplaysAsync(Tenant, O.MaxWindow);
            var added = 0;
            foreach (var row in replays)
                if (_window.TryAdd(row.Entry.TenantSeq, new Pending(row, now)))
                    added++;
            if (added > 0 && replays.Count == O.MaxWindow) _lookForReplays = true;
        }

        var room = O.MaxWindow - _window.Count;
        if (!_lookInLog || room <= 0) return;
        _lookInLog = false;
        var rows = await log.ReadPendingAsync(Tenant, _readUpTo, room);
        foreach (var row in rows)
        {
            _window.TryAdd(row.Entry.TenantSeq, new Pending(row, now));
            _readUpTo = Math.Max(_readUpTo, row.Entry.TenantSeq);
        }

        if (rows.Count == room) _lookInLog = true; // more behind a full page
    }

    /// <summary>Starts every head of a conversation that is due, up to the concurrency limit.</summary>
    private void Launch(Dictionary<Task<DeliveryOutcome>, Pending> inflight)
    {
        var now = time.GetUtcNow();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in _window.Values)
        {
            if (inflight.Count >= O.MaxConcurrency) return;
            if (!seen.Add(item.Key) || item.InFlight || item.NextAt > now) continue;
            item.InFlight = true;
            item.Body ??= EventEnvelope.Serialize(item.Stored.Entry.Event, item.Stored.Entry.Seq);
            inflight[sender.SendAsync(_config!.Url, _key!, item.Stored.Entry.Event.MsgId, item.Body, item.Stored.Entry.Event.TraceParent)] = item;
        }
    }

    private async Task SettleAsync(Pending item, DeliveryOutcome outcome)
    {
        item.InFlight = false;
        var now = time.GetUtcNow();
        WeComTelemetry.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("result",
            outcome.Success ? "delivered" : now >= item.GiveUpAt(O.MaxRetryDuration) ? "dead_letter" : "retry"));
        if (outcome.Success)
        {
            _window.Remove(item.Seq);
            _delivered.Add(item.Seq);
            if (_delivered.Count >= 500) await FlushDeliveredAsync();
            return;
        }

        item.Attempts++;
        item.LastError = outcome.Error;
        var giveUpAt = item.GiveUpAt(O.MaxRetryDuration);
        if (now >= giveUpAt)
        {
            await log.MarkDeadAsync(Tenant, item.Seq, item.Attempts, item.LastError, now);
            WeComTelemetry.WebhookDeadLetters.Add(1);
            _window.Remove(item.Seq);
            LogDeadLetter(logger, Tenant.Value, item.Stored.Entry.Event.MsgId, item.Attempts, item.LastError);
            return;
        }

        var delay = Backoff(item.Attempts);
        if (outcome.RetryAfter is { } asked && asked > delay) delay = asked;
        item.NextAt = now + delay < giveUpAt ? now + delay : giveUpAt; // one last try at the end of the window
        LogRetry(logger, Tenant.Value, item.Stored.Entry.Event.MsgId, item.Attempts, item.LastError, delay);
    }

    /// <summary>Exponential, capped, with jitter so that a recovering endpoint is not hit by every retry at once.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var o = O;
        var exponential = o.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(exponential, o.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() * 0.5));
    }

    private async Task FlushDeliveredAsync()
    {
        if (_delivered.Count == 0) return;
        var seqs = _delivered.ToArray();
        _delivered.Clear();
        await log.MarkDeliveredAsync(Tenant, seqs);
    }

    /// <summary>Marks deliveries in the log, then moves the cursor to just before the oldest unsettled event.</summary>
    private async Task SaveCursorAsync(bool force)
    {
        await FlushDeliveredAsync();
        var watermark = _readUpTo;
        foreach (var item in _window.Values)
        {
            if (item.IsReplay) continue; // replays are found by their state, not by the cursor
            watermark = item.Seq - 1;
            break;
        }

        var now = time.GetUtcNow();
        if (watermark <= _savedWatermark) return;
        if (!force && _window.Count > 0 && now - _lastCursorSave < O.CursorSaveInterval) return;
        await log.SaveWatermarkAsync(Tenant, watermark);
        _savedWatermark = watermark;
        _lastCursorSave = now;
    }

    private void ScheduleNext()
    {
        if (_config is null) return;
        TimeSpan? due = null;
        if ((_lookInLog && _window.Count < O.MaxWindow) || _lookForReplays)
        {
            due = TimeSpan.Zero;
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            DateTimeOffset? earliest = null;
            foreach (var item in _window.Values)
                if (seen.Add(item.Key) && !item.InFlight && (earliest is null || item.NextAt < earliest))
                    earliest = item.NextAt;
            if (earliest is { } at)
            {
                var wait = at - time.GetUtcNow();
                due = wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        if (due is null)
        {
            // Idle: no timer, so the grain may be collected; new events and the sweeper wake it.
            _timer?.Dispose();
            _timer = null;
            return;
        }

        if (_timer is null)
            _timer = this.RegisterGrainTimer(DeliverAsync, new GrainTimerCreationOptions
            {
                DueTime = due.Value,
                Period = Timeout.InfiniteTimeSpan,
                Interleave = false,
                KeepAlive = true,
            });
        else
            _timer.Change(due.Value, Timeout.InfiniteTimeSpan);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of tenant {Tenant} set to {Url}")]
    private static partial void LogConfigured(ILogger logger, string tenant, string url);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook of tenant {Tenant}: {MsgId} failed (attempt {Attempts}: {Error}); retry in {Delay}")]
    private static partial void LogRetry(ILogger logger, string tenant, string msgId, int attempts, string? error, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of tenant {Tenant}: {MsgId} is a dead letter after {Attempts} attempts ({Error})")]
    private static partial void LogDeadLetter(ILogger logger, string tenant, string msgId, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of tenant {Tenant}: {Count} dead letters re-queued")]
    private static partial void LogReplay(ILogger logger, string tenant, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook delivery turn of tenant {Tenant} failed")]
    private static partial void LogTurnFailed(ILogger logger, string tenant, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of tenant {Tenant}: cursor not saved on deactivation: {Error}")]
    private static partial void LogCursorSaveFailed(ILogger logger, string tenant, string error);
}

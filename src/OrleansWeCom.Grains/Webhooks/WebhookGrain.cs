using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Webhooks;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>
/// Delivers one tenant's events to its webhook. The event log is the queue: a cursor (watermark) marks the point up
/// to which everything is settled, rows carry their delivery state and retry state (attempts, next attempt), so
/// back-off and dead-lettering carry over restarts. A timer drives turns; each turn keeps up to
/// <see cref="WebhookOptions.MaxConcurrency"/> POSTs in flight. Order: an event waits until every earlier event of its
/// lane (its conversation, or its account for events outside conversations) is delivered or dead; lanes do not wait
/// for each other (<see cref="DeliveryLanes"/>).
/// </summary>
public sealed partial class WebhookGrain(
    IEventLog log,
    WebhookSender sender,
    WebhookUrlGuard guard,
    IOptionsMonitor<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookGrain> logger) : Grain, IWebhookGrain
{
    private readonly DeliveryLanes _lanes = new(() => options.CurrentValue);
    private readonly List<long> _delivered = [];
    private WebhookRecord? _config;
    private byte[]? _key;
    private long _savedWatermark;
    private bool _lookInLog = true;
    private bool _lookForReplays = true;
    private bool _inTurn;
    private IGrainTimer? _timer;
    private DateTimeOffset _lastCursorSave;
    private DateTimeOffset _lastRefill;

    private TenantId Tenant => new(this.GetPrimaryKeyString());
    private WebhookOptions O => options.CurrentValue;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _config = await log.GetWebhookAsync(Tenant, cancellationToken);
        if (_config is null) return;
        _key = WebhookSignature.KeyOf(_config.Secret);
        _savedWatermark = _config.Watermark;
        _lanes.Reset(_config.Watermark);
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
        if (_config is null)
        {
            _savedWatermark = watermark;
            _lanes.Reset(watermark);
        }

        _config = record;
        _key = WebhookSignature.KeyOf(secret);
        foreach (var pending in _lanes.All) pending.NextAt = now; // a new URL deserves a prompt try
        _lookInLog = _lookForReplays = true;
        _replaysAfter = 0;
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
        (_lookForReplays, _replaysAfter) = (true, 0);
        if (!_inTurn) ScheduleNext();
        return count;
    }

    private bool NeedsRefill => _lookInLog || _lookForReplays || _lanes.ReadsNeeded().Any();

    /// <summary>One delivery turn: fill the window, keep POSTs in flight until the budget is spent, save the cursor.</summary>
    private async Task DeliverAsync(CancellationToken cancellationToken)
    {
        if (_config is null || _key is null) return;
        _inTurn = true;
        var inflight = new Dictionary<Task<DeliveryOutcome>, PendingDelivery>();
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
                if (NeedsRefill && now - _lastRefill > TimeSpan.FromMilliseconds(100)) await RefillAsync();
                Launch(inflight);
            }

            await SaveCursorAsync(force: false);
        }
        catch (Exception e)
        {
            LogTurnFailed(logger, Tenant.Value, e);
            foreach (var item in inflight.Values) _lanes.Abandon(item);
            _lookInLog = true;
        }
        finally
        {
            _inTurn = false;
            ScheduleNext();
        }
    }

    /// <summary>Reads replays, the lanes that drained with events parked in the log, then the tenant's next events.</summary>
    private async Task RefillAsync()
    {
        var now = time.GetUtcNow();
        _lastRefill = now;
        if (_lookForReplays) await ReadReplaysAsync(now);

        foreach (var read in _lanes.ReadsNeeded().ToList())
        {
            var rows = await log.ReadLaneAsync(Tenant, read.Lane, read.After, read.UpTo, read.Limit);
            _lanes.AddFromLane(read, rows, rows.More, now);
        }

        if (!_lookInLog) return;
        _lookInLog = false;
        // Events of parked lanes are passed over, so a page may hold few new ones: read on, a bounded number of pages.
        for (var page = 0; page < 8; page++)
        {
            if (!_lanes.HasRoom)
            {
                _lookInLog = true;
                return;
            }

            var size = Math.Clamp(O.MaxWindow - _lanes.HeldCount, 1, 1000);
            var rows = await log.ReadPendingAsync(Tenant, _lanes.ReadUpTo, size);
            foreach (var row in rows)
            {
                if (_lanes.Add(row, now) != DeliveryLanes.Offer.Full) continue;
                _lookInLog = true;
                return;
            }

            if (rows.Count < size && !rows.More) return;
        }

        _lookInLog = true; // more behind
    }

    /// <summary>Starts every lane head that is due, up to the concurrency limit.</summary>
    private void Launch(Dictionary<Task<DeliveryOutcome>, PendingDelivery> inflight)
    {
        foreach (var item in _lanes.Due(time.GetUtcNow()).ToList())
        {
            if (inflight.Count >= O.MaxConcurrency) return;
            _lanes.Start(item);
            item.Body ??= EventEnvelope.Serialize(item.Stored.Entry.Event, item.Stored.Entry.Seq);
            inflight[sender.SendAsync(_config!.Url, _key!, item.Stored.Entry.Event.MsgId, item.Body, item.Stored.Entry.Event.TraceParent)] = item;
        }
    }

    private async Task SettleAsync(PendingDelivery item, DeliveryOutcome outcome)
    {
        var now = time.GetUtcNow();
        if (item.IsReplay && _moreReplays) _lookForReplays = true;
        if (outcome.Success)
        {
            Count("delivered");
            _lanes.Remove(item);
            LookAgainIfBlockedReplayFits();
            _delivered.Add(item.Seq);
            if (_delivered.Count >= 500) await FlushDeliveredAsync();
            return;
        }

        if (_lanes.Failed(item, outcome, now) is not { } nextAt)
        {
            Count("dead_letter");
            await log.MarkDeadAsync(Tenant, item.Seq, item.Attempts, item.LastError, now);
            WeComTelemetry.WebhookDeadLetters.Add(1);
            _lanes.Remove(item);
            LookAgainIfBlockedReplayFits();
            LogDeadLetter(logger, Tenant.Value, item.Stored.Entry.Event.MsgId, item.Attempts, item.LastError);
            return;
        }

        Count("retry");
        // Written at every failed attempt, so a restart neither resets the back-off nor forgets the count.
        await log.RecordAttemptAsync(Tenant, item.Seq, item.Attempts, item.LastError, nextAt);
        LogRetry(logger, Tenant.Value, item.Stored.Entry.Event.MsgId, item.Attempts, item.LastError, nextAt - now);
    }

    private static void Count(string result) =>
        WeComTelemetry.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("result", result));

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
        var watermark = _lanes.Watermark();
        var now = time.GetUtcNow();
        if (watermark <= _savedWatermark) return;
        if (!force && _lanes.HeldCount > 0 && now - _lastCursorSave < O.CursorSaveInterval) return;
        await log.SaveWatermarkAsync(Tenant, watermark);
        _savedWatermark = watermark;
        _lastCursorSave = now;
    }

    private void ScheduleNext()
    {
        if (_config is null) return;
        TimeSpan? due = null;
        if ((_lookInLog && _lanes.HasRoom) || _lookForReplays || _lanes.ReadsNeeded().Any())
        {
            due = TimeSpan.Zero;
        }
        else
        {
            if (_lanes.EarliestDue() is { } at)
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

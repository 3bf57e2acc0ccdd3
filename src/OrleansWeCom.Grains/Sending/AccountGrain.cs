using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Grains.Sending;

[GenerateSerializer]
public sealed class AccountState
{
    [Id(0)] public ContainerView? Container { get; set; }
    [Id(1)] public long NextSeq { get; set; }
    [Id(2)] public DateTimeOffset? LastZombieRestart { get; set; }
}

/// <summary>
/// One logged-in account. Accepted sends live in the outbox table (written before the msgId is returned); a grain
/// timer drains them one at a time, at least <see cref="SendingOptions.AccountSendInterval"/> apart by the clock,
/// spending tokens of a lease from the corp's budget grain. Host echoes settle each send.
/// </summary>
public sealed partial class AccountGrain(
    [PersistentState("account", StorageNames.Grains)] IPersistentState<AccountState> state,
    OutboxStore outbox,
    IContainerHostSender sender,
    SendClock clock,
    ITenantEventPublisher events,
    IOptions<SendingOptions> options,
    TimeProvider time,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IRemindable
{
    private readonly SendingOptions _options = options.Value;
    private readonly LinkedList<OutboxRow> _queue = new();
    private readonly Dictionary<string, OutboxRow> _open = [];
    private readonly Dictionary<string, string> _byHostMsgId = [];
    private Dictionary<string, string> _idempotency = [];

    /// <summary>Recent sends of unknown outcome, oldest first, which a late echo of the host may still settle.</summary>
    private readonly List<OutboxRow> _unknown = [];
    private DateTimeOffset? _lastSendAt;

    /// <summary>
    /// How long before a send's moment its turn recently had to begin: the timer's lateness plus the token and the
    /// durable mark. A moving average and a moving mean deviation, as TCP estimates its retransmission timeout.
    /// </summary>
    private TimeSpan _leadNeeded, _leadDeviation;

    /// <summary>When the pump's timer was armed to fire ahead of a send; null when it was woken for another reason.</summary>
    private DateTimeOffset? _armedFor;
    private IGrainTimer? _pump;
    private BudgetLease? _lease;
    private long _leaseSequence = DateTimeOffset.UtcNow.UtcTicks;
    private int _consecutiveHostFailures;
    private bool _reminderSet;
    private bool _pumping;

    /// <summary>Whether the pump's timer is set to fire.</summary>
    private bool _pumpArmed;
    private const string OutboxReminder = "outbox";

    private string WxId => this.GetPrimaryKeyString();

    /// <summary>The least time from the host's answer to one send until the next send leaves.</summary>
    private TimeSpan Gap => _options.AccountSendInterval + _options.PacingMargin;
    private ContainerView? Container => state.State.Container;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (open, lastAttempt, keys, unknown) = await outbox.LoadAccountAsync(
            WxId, now - _options.IdempotencyRetention, now - _options.UnknownOutcomeWindow, cancellationToken);
        _lastSendAt = lastAttempt;
        _idempotency = keys;
        _unknown.AddRange(unknown);
        _reminderSet = open.Any(r => r.State == SendState.Queued);
        foreach (var row in open)
        {
            if (row.State == SendState.Sending && row.HostMsgId is null)
            {
                // Marked for the host, but the silo was lost before the host's answer was recorded.
                var lost = Unknown(row, "the silo stopped while the host was being called");
                await outbox.SaveAsync(lost);
                RememberUnknown(lost);
                continue;
            }

            _open[row.MsgId] = row;
            if (row.HostMsgId is { } host) _byHostMsgId[host] = row.MsgId;
            // A row handed to the host but never echoed stays open for its echo; a queued one waits its turn.
            if (row.State == SendState.Queued) _queue.AddLast(row);
        }

        Schedule(TimeSpan.Zero);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => ReturnLeaseAsync();

    public async Task BindAsync(ContainerView container)
    {
        var wasOnline = Container?.Status == ContainerStatus.Online;
        state.State.Container = container;
        await state.WriteStateAsync();
        if (container.Status == ContainerStatus.Online && !wasOnline)
        {
            _consecutiveHostFailures = 0;
            Schedule(TimeSpan.Zero);
        }
    }

    public Task<ContainerView?> GetContainerAsync() => Task.FromResult(Container);

    public async Task<string> EnqueueAsync(OutboundMessage message, string? idempotencyKey)
    {
        if (idempotencyKey is not null && _idempotency.TryGetValue(idempotencyKey, out var existing)) return existing;
        EnsureAccepting(1);
        var row = NewRow(message, idempotencyKey);
        await outbox.InsertAsync(row);
        Accept(row);
        return row.MsgId;
    }

    public Task<string> EnqueueForAsync(TenantId tenant, OutboundMessage message, string? idempotencyKey)
    {
        if (Container is not { } container || container.Tenant != tenant) throw WeComException.NotFound($"account {WxId} not found");
        if (container.Status != ContainerStatus.Online)
            throw WeComException.InvalidState($"account {WxId} is not online (status {(int)container.Status} {container.Status}); log it in first");
        return EnqueueAsync(message, idempotencyKey);
    }

    public async Task<IReadOnlyList<string>> EnqueueManyAsync(IReadOnlyList<OutboundMessage> messages)
    {
        EnsureAccepting(messages.Count);
        var rows = messages.Select(m => NewRow(m, null)).ToList();
        await Task.WhenAll(rows.Select(outbox.InsertAsync));
        foreach (var row in rows) Accept(row);
        return rows.Select(r => r.MsgId).ToList();
    }

    public async Task<SendStatus?> GetStatusAsync(string msgId) =>
        _open.TryGetValue(msgId, out var row) ? row.ToStatus()
        : await outbox.FindRowAsync(msgId) is { } stored && stored.WxId == WxId ? stored.ToStatus() : null;

    public Task<int> GetQueueLengthAsync() => Task.FromResult(_queue.Count);

    public async Task<Settlement?> SettleAsync(string hostMsgId, int errorCode, string? errorMessage, string? conversationId, string? content)
    {
        OutboxRow row;
        if (_byHostMsgId.Remove(hostMsgId, out var known) && _open.TryGetValue(known, out var open))
            row = open;
        else if (TakeUnknown(conversationId, content) is { } unknown)
            // The host's answer to this send was lost; its echo tells what became of it after all.
            row = unknown with { HostMsgId = hostMsgId };
        else
            return null;

        var msgId = row.MsgId;
        var now = time.GetUtcNow();
        if (errorCode == 0)
        {
            row = row with { State = SendState.Sent, SettledAt = now, ErrorCode = 0, ErrorMessage = null };
            _open.Remove(msgId);
            _consecutiveHostFailures = 0;
            await outbox.SaveAsync(row);
            return new Settlement(msgId, true);
        }

        if (errorCode == FrequencyErrorCode && row.Attempts < _options.MaxAttempts)
        {
            // WeCom throttled us: wait, then retry at the head of the queue, still paced.
            var backoff = Backoff(row.Attempts);
            row = row with { State = SendState.Queued, HostMsgId = null, SettledAt = null, ErrorCode = errorCode, ErrorMessage = errorMessage, NextAttemptAt = now + backoff };
            _open[msgId] = row;
            _queue.AddFirst(row);
            LogFrequencyError(logger, WxId, msgId, backoff.TotalMilliseconds);
            await outbox.SaveAsync(row);
            Schedule(backoff);
            return new Settlement(msgId, false);
        }

        row = row with { State = SendState.Failed, SettledAt = now, ErrorCode = errorCode, ErrorMessage = errorMessage };
        _open.Remove(msgId);
        await outbox.SaveAsync(row);
        return new Settlement(msgId, true);
    }

    public const int FrequencyErrorCode = -1000999;

    private void EnsureAccepting(int count)
    {
        if (Container is null)
            throw WeComException.NotFound($"account {WxId} is not logged in anywhere");
        if (_queue.Count + count > _options.MaxQueuedPerAccount)
            throw new WeComException(ErrorCodes.QueueFull,
                $"queue full: account {WxId} already holds {_queue.Count} unsent messages (limit {_options.MaxQueuedPerAccount}); retry later");
    }

    /// <summary>
    /// A new outbox row. Its msgId is a time-ordered UUID (version 7): the outbox's primary key then grows at its end, and
    /// a group commit of many accounts' sends touches a few pages instead of one random page per send.
    /// </summary>
    private OutboxRow NewRow(OutboundMessage message, string? idempotencyKey)
    {
        var now = time.GetUtcNow();
        return new(Guid.CreateVersion7(now).ToString(), Container!.Tenant.Value, WxId, state.State.NextSeq++, message.Kind,
            message.ConversationId.Value, message.BodyJson, SendState.Queued, 0, now, null, null, null, null, null, null, idempotencyKey);
    }

    private void Accept(OutboxRow row)
    {
        _open[row.MsgId] = row;
        _queue.AddLast(row);
        if (row.IdempotencyKey is { } key) _idempotency[key] = row.MsgId;
        if (_queue.Count == 1) Schedule(TimeSpan.Zero);
    }

    /// <summary>
    /// A backlog keeps a reminder, so that a silo lost with it brings the account back elsewhere. It is registered when
    /// a backlog appears and removed at its first tick that finds the queue empty, not whenever the queue runs dry: an
    /// account sending now and then would otherwise write the reminder table twice per message.
    /// </summary>
    private async Task KeepReminderAsync()
    {
        if (_queue.Count == 0 || _reminderSet) return;
        await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _reminderSet = true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_queue.Count > 0)
        {
            // The reminder only revives an account whose pump is not running (after a silo was lost); a pump that is
            // armed for its next turn keeps it, or a tick would spend that turn's lead.
            if (!_pumpArmed && !_pumping) Schedule(TimeSpan.Zero);
            return;
        }

        if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
        _reminderSet = false;
    }

    /// <summary>Re-arms the pump to run after <paramref name="due"/>, replacing any earlier deadline.</summary>
    private void Schedule(TimeSpan due)
    {
        _armedFor = null;
        _pumpArmed = due != Timeout.InfiniteTimeSpan;
        if (due == Timeout.InfiniteTimeSpan)
        {
            _pump?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_pump is null)
            _pump = this.RegisterGrainTimer(PumpAsync, new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        else
            _pump.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Arms the pump for a send's turn, ahead of its moment; the turn then learns how late it began.</summary>
    private void ArmTurn(DateTimeOffset turnAt)
    {
        Schedule(turnAt - time.GetUtcNow());
        _armedFor = turnAt;
    }

    /// <summary>
    /// How far ahead of a send's moment its turn begins: what it recently needed plus three deviations, so that a turn is
    /// rarely late; at most <see cref="SendingOptions.MaxPrepareAhead"/>.
    /// </summary>
    private TimeSpan Lead => _leadNeeded + (_leadDeviation * 3) is var lead && lead < _options.MaxPrepareAhead ? lead : _options.MaxPrepareAhead;

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        // One send at a time: a timer re-armed while its callback awaits may tick again before the callback ends.
        _pumpArmed = false;
        if (_pumping) return;
        _pumping = true;
        try
        {
            await PumpOnceAsync(cancellationToken);
            await KeepReminderAsync();
        }
        catch (Exception e)
        {
            // Storage or budget trouble: keep the queue and try again shortly.
            LogSendFailed(logger, WxId, "pump", e.Message);
            Schedule(TimeSpan.FromSeconds(1));
        }
        finally
        {
            _pumping = false;
        }
    }

    private async Task PumpOnceAsync(CancellationToken cancellationToken)
    {
        var armedFor = _armedFor;
        _armedFor = null;
        if (Container is not { Status: ContainerStatus.Online } container || _queue.First is not { } node) return;
        var row = node.Value;
        var now = time.GetUtcNow();
        // The gap is enforced by the clock, not by the timer: timers may fire a little early.
        var sendAt = _lastSendAt + Gap ?? now;
        if (row.NextAttemptAt is { } notBefore && notBefore > sendAt) sendAt = notBefore;
        // The turn begins ahead of the moment, so that the token and the mark are done by then; the send clock starts
        // the call at the moment itself. A timer a millisecond or two early is close enough: the clock still waits.
        var lead = Lead;
        if (now < sendAt - lead - EarlyTolerance)
        {
            ArmTurn(sendAt - lead);
            return;
        }

        // A token must still be good at the moment of the send, not only now.
        if (!await TakeTokenAsync(sendAt > now ? sendAt : now))
        {
            Schedule(_lease?.RetryAfter ?? Gap);
            return;
        }

        _queue.RemoveFirst();
        // The attempt is recorded before the host is called: after a crash, a row left in Sending without the host's
        // msgId most likely reached the host, and is not sent again (a duplicate is what WeCom and customers punish).
        row = row with { State = SendState.Sending, Attempts = row.Attempts + 1, LastAttemptAt = sendAt > now ? sendAt : now, NextAttemptAt = null, HostMsgId = null };
        _open[row.MsgId] = row;
        await outbox.SaveAsync(row);
        if (armedFor is { } armed)
        {
            // What this turn needed: the timer's lateness, the token and the mark. A turn that needed more than expected
            // moves the estimate half-way at once, and a quicker one only an eighth: on a silo growing busy, turns began
            // too late for several sends in a row (in one probed run each, 4–13% of turns reached the clock 25–44 ms after
            // their moment with an eighth both ways, 1–6% and 14–29 ms with this).
            var needed = time.GetUtcNow() - armed;
            if (needed < TimeSpan.Zero) needed = TimeSpan.Zero;
            _leadDeviation = (_leadDeviation * 0.75) + ((needed - _leadNeeded).Duration() * 0.25);
            var weight = needed > _leadNeeded ? 0.5 : 0.125;
            _leadNeeded = (_leadNeeded * (1 - weight)) + (needed * weight);
        }

        await SendAsync(container, row, sendAt, cancellationToken);
    }

    /// <summary>A timer may fire this much early and still count as on time; the send clock waits out the rest.</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(2);

    /// <summary>Hands a send marked as being sent to the host at its moment, and records the host's answer.</summary>
    private async Task SendAsync(ContainerView container, OutboxRow row, DateTimeOffset sendAt, CancellationToken cancellationToken)
    {
        try
        {
            // Once started, the call is not cancelled: a request cut off mid-way may still be carried out, and its answer
            // is what tells. A deactivation before the moment abandons it unstarted.
            var (hostMsgId, answeredAt) = await clock.StartAt(sendAt, () =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                return sender.SendAsync(container.HostKey, row.Kind.Path(), row.Body, CancellationToken.None);
            });
            // The host saw the request somewhere between the call and its answer; counting the gap from the answer
            // keeps sends apart at the host even when the request or the host itself was slow.
            _lastSendAt = answeredAt;
            row = row with { HostMsgId = hostMsgId, ErrorCode = null, ErrorMessage = null };
            _byHostMsgId[hostMsgId] = row.MsgId;
            _consecutiveHostFailures = 0;
        }
        catch (SendOutcomeUnknownException e)
        {
            // The host may have carried it out: not sent again, so it is never delivered twice.
            _lastSendAt = time.GetUtcNow();
            _consecutiveHostFailures++;
            row = Unknown(row, e.Message);
            RememberUnknown(row);
            LogSendFailed(logger, WxId, row.MsgId, e.Message);
        }
        catch (WeComException e) when (e.Code == ErrorCodes.BadRequest)
        {
            // The host refused the request itself: retrying cannot help.
            _lastSendAt = time.GetUtcNow();
            row = row with { State = SendState.Failed, SettledAt = time.GetUtcNow(), ErrorCode = e.Code, ErrorMessage = e.Message };
        }
        catch (Exception e)
        {
            _lastSendAt = time.GetUtcNow();
            _consecutiveHostFailures++;
            var final = row.Attempts >= _options.MaxAttempts;
            row = row with
            {
                State = final ? SendState.Failed : SendState.Queued,
                SettledAt = final ? time.GetUtcNow() : null,
                ErrorCode = ErrorCodes.HostUnavailable,
                ErrorMessage = e.Message,
                NextAttemptAt = final ? null : time.GetUtcNow() + Backoff(row.Attempts),
            };
            if (!final) _queue.AddFirst(row);
            LogSendFailed(logger, WxId, row.MsgId, e.Message);
        }

        if (row.State is SendState.Failed or SendState.Unknown) _open.Remove(row.MsgId);
        else _open[row.MsgId] = row;
        await outbox.SaveAsync(row);
        await DetectZombieAsync();
        // The next send's turn is due a full gap after the host's answer to this one (less its lead), not after this
        // bookkeeping ended.
        if (_queue.Count == 0)
        {
            Schedule(Timeout.InfiniteTimeSpan);
            return;
        }

        ArmTurn(_lastSendAt.Value + Gap - Lead);
    }

    /// <summary>A send that may or may not have reached the host, settled as such: it is not sent again.</summary>
    private OutboxRow Unknown(OutboxRow row, string why) => row with
    {
        State = SendState.Unknown,
        SettledAt = time.GetUtcNow(),
        ErrorCode = ErrorCodes.HostUnavailable,
        ErrorMessage = $"outcome unknown, not sent again to avoid a duplicate: {why}",
    };

    /// <summary>
    /// The oldest recent send of unknown outcome that an echo with no known <c>sendMsgId</c> may be: to the same
    /// conversation and, for a text, with the same text. Taken from the list, so one echo settles one send.
    /// </summary>
    private OutboxRow? TakeUnknown(string? conversationId, string? content)
    {
        ForgetOldUnknown();
        var index = _unknown.FindIndex(r => r.ConversationId == conversationId && (r.Kind != SendKind.Text || TextOf(r) == content));
        if (index < 0) return null;
        var row = _unknown[index];
        _unknown.RemoveAt(index);
        return row;
    }

    private void RememberUnknown(OutboxRow row)
    {
        ForgetOldUnknown();
        _unknown.Add(row);
    }

    private void ForgetOldUnknown()
    {
        var since = time.GetUtcNow() - _options.UnknownOutcomeWindow;
        _unknown.RemoveAll(r => r.SettledAt < since);
    }

    private static string? TextOf(OutboxRow row)
    {
        // The seed's parameter names are not case-sensitive, and the body is the tenant's.
        using var body = JsonDocument.Parse(row.Body);
        foreach (var property in body.RootElement.EnumerateObject())
            if (string.Equals(property.Name, "content", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                return property.Value.GetString();
        return null;
    }

    private async Task<bool> TakeTokenAsync(DateTimeOffset now)
    {
        if (_lease is { Tokens: > 0 } lease && now < lease.UseBefore)
        {
            _lease = lease with { Tokens = lease.Tokens - 1 };
            return true;
        }

        var corp = Container?.Profile?.CorpId.Value ?? "unknown";
        var wanted = Math.Min(_queue.Count, _options.TokensPerLease);
        var granted = await GrainFactory.GetGrain<ICorpBudgetGrain>(corp).AcquireAsync(WxId, wanted, ++_leaseSequence);
        if (granted.Tokens == 0)
        {
            _lease = granted;
            return false;
        }

        _lease = granted with { Tokens = granted.Tokens - 1 };
        return true;
    }

    private async Task ReturnLeaseAsync()
    {
        if (_lease is { Tokens: > 0 } lease && time.GetUtcNow() < lease.UseBefore && Container?.Profile?.CorpId.Value is { } corp)
        {
            _lease = null;
            try
            {
                await GrainFactory.GetGrain<ICorpBudgetGrain>(corp).ReturnAsync(WxId, lease.Sequence, lease.Tokens);
            }
            catch (Exception e)
            {
                LogSendFailed(logger, WxId, "lease", e.Message);
            }
        }
    }

    /// <summary>An account that claims to be online while its sends keep failing is restarted, within limits.</summary>
    private async Task DetectZombieAsync()
    {
        if (_consecutiveHostFailures < _options.ZombieFailureThreshold || Container is not { Status: ContainerStatus.Online } container) return;
        var now = time.GetUtcNow();
        var mayRestart = state.State.LastZombieRestart is not { } last || now - last > _options.ZombieRestartCooldown;
        await events.PublishAsync(new TenantEvent(Guid.NewGuid().ToString(), container.Tenant, TenantEventTypes.AccountAlert,
            container.HostName.Value, container.UserId, WxId, now.ToUnixTimeMilliseconds(),
            JsonSerializer.Serialize(new
            {
                kind = "zombie",
                message = $"{_consecutiveHostFailures} consecutive sends failed while the account claims to be online",
                restarting = mayRestart,
            }), null, null));
        _consecutiveHostFailures = 0;
        if (!mayRestart) return;
        state.State.LastZombieRestart = now;
        await state.WriteStateAsync();
        LogZombieRestart(logger, WxId, container.HostName.Value);
        // Not awaited: the container reports the restart back to this grain, which must not be waiting for it.
        GrainFactory.GetGrain<IContainerGrain>(container.HostName.Value).RestartAsync().Ignore();
    }

    private TimeSpan Backoff(int attempts)
    {
        var exp = _options.FrequencyBackoff * Math.Pow(2, Math.Max(0, attempts - 1));
        var capped = exp > _options.MaxBackoff ? _options.MaxBackoff : exp;
        return capped * (0.8 + Random.Shared.NextDouble() * 0.4);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: send {MsgId} throttled by WeCom (-1000999); retrying in {BackoffMs} ms")]
    private static partial void LogFrequencyError(ILogger logger, string wxId, string msgId, double backoffMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: send {MsgId} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string wxId, string msgId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId} looks like a zombie; restarting container {HostName}")]
    private static partial void LogZombieRestart(ILogger logger, string wxId, string hostName);
}

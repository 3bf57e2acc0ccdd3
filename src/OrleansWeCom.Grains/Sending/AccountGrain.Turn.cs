using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Sending;

/// <summary>The send turn: pacing, the budget token, the durable mark and the start of the host call.</summary>
public sealed partial class AccountGrain
{
    private readonly SendPacer _pacer = new(time, options.Value.AccountSendInterval + options.Value.PacingMargin, options.Value.MaxPrepareAhead);
    private readonly LocalLease _lease = new();
    private readonly ZombieWatch _zombie = new(options.Value.ZombieFailureThreshold, options.Value.ZombieRestartCooldown);
    private readonly Guid _activation = Guid.NewGuid();

    /// <summary>Cancelled when the activation ends: a call not yet started is then abandoned and may go again.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private long _leaseSequence = time.GetUtcNow().UtcTicks;
    private IGrainTimer? _timer;
    private bool _turnArmed;

    /// <summary>The timestamp the armed turn was meant to begin at; null when the timer was set for another reason.</summary>
    private long? _armedFor;
    private InFlight? _inFlight;

    /// <summary>A timer may fire this much early and still count as on time; the send clock waits out the rest.</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(2);

    /// <summary>The one send whose host call has started and not yet been answered.</summary>
    private sealed class InFlight(OutboxRow row)
    {
        public OutboxRow Row { get; } = row;

        /// <summary>Its echo arrived before the answer and settled it; the answer then only paces.</summary>
        public bool SettledByEcho { get; set; }

        /// <summary>The clock has started the host call (set on the clock's thread): only then can an echo be this send's.</summary>
        public bool Started => Volatile.Read(ref _started) == 1;

        private int _started;

        public void MarkStarted() => Volatile.Write(ref _started, 1);

        public Task<SendAnswer> Answer { get; set; } = null!;
        private int _claimed;

        /// <summary>The answer is applied once: by the call back to the grain, or by the deactivation waiting for it.</summary>
        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

        public void Unclaim() => Volatile.Write(ref _claimed, 0);
    }

    /// <summary>Re-arms the turn to run after <paramref name="due"/>, replacing any earlier deadline.</summary>
    private void Schedule(TimeSpan due)
    {
        _armedFor = null;
        _turnArmed = due != Timeout.InfiniteTimeSpan;
        if (!_turnArmed)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        if (_timer is null)
            _timer = this.RegisterGrainTimer(TurnAsync, new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
        else
            _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void ArmTurn(long turnAt)
    {
        Schedule(_pacer.Until(turnAt));
        _armedFor = turnAt;
    }

    /// <summary>Arms the turn of the send at the head of the queue, or nothing when the queue is empty.</summary>
    private void ArmNext()
    {
        if (_inFlight is not null) return;
        if (_queue.First is not { } head)
        {
            Schedule(Timeout.InfiniteTimeSpan);
            return;
        }

        ArmTurn(_pacer.TurnAt(_pacer.NextMoment(NotBefore(head.Value))));
    }

    /// <summary>How long the send must wait: for its retry time, and for the next token of the lease held to become usable.</summary>
    private TimeSpan NotBefore(OutboxRow row)
    {
        var now = time.GetUtcNow();
        var wait = row.NextAttemptAt is { } next ? next - now : TimeSpan.Zero;
        return _lease.NextUsableIn(now) is { } promised && promised > wait ? promised : wait;
    }

    private async Task TurnAsync(CancellationToken cancellationToken)
    {
        _turnArmed = false;
        var armedFor = _armedFor;
        _armedFor = null;
        await ReclaimAnswerAsync();
        if (_inFlight is not null) return;
        try
        {
            await TakeTurnAsync(armedFor);
            await KeepReminderAsync();
        }
        catch (Exception e)
        {
            // Storage or budget trouble: keep the queue and try again shortly.
            LogSendFailed(logger, WxId, "turn", e.Message);
            Schedule(TimeSpan.FromSeconds(1));
        }
    }

    private async Task TakeTurnAsync(long? armedFor)
    {
        if (Container is not { Status: ContainerStatus.Online } container || _queue.First is not { } head) return;
        var row = head.Value;
        var moment = _pacer.NextMoment(NotBefore(row));
        // The turn begins ahead of the moment, so that the token and the mark are done by then; the clock starts the call
        // at the moment itself.
        var turnAt = _pacer.TurnAt(moment);
        if (_pacer.Until(turnAt) > EarlyTolerance)
        {
            ArmTurn(turnAt);
            return;
        }

        var untilMoment = _pacer.Until(moment);
        var startsAt = time.GetUtcNow() + (untilMoment > TimeSpan.Zero ? untilMoment : TimeSpan.Zero);
        if (await TakeTokenAsync(container, startsAt) is not { } taken)
        {
            Schedule(_lease.WaitBefore(time.GetUtcNow()) ?? _pacer.Gap);
            return;
        }

        // Marked before the host is called: after a crash, a send left "sending" may have reached the host and is not sent
        // again (a duplicate is what WeCom and customers punish).
        _queue.RemoveFirst();
        SyncDepth();
        var sending = row with { State = SendState.Sending, Attempts = row.Attempts + 1, LastAttemptAt = taken, NextAttemptAt = null, HostMsgId = null };
        _open[row.MsgId] = sending;
        bool claimed;
        try
        {
            claimed = await outbox.ClaimAsync(sending);
        }
        catch
        {
            _open[row.MsgId] = row;
            _queue.AddFirst(row);
            SyncDepth();
            throw;
        }

        if (!claimed)
        {
            // Another activation of this account (a partition, a silo declared dead while still running) took the row:
            // it sends it, this one forgets it.
            _open.Remove(row.MsgId);
            LogClaimLost(logger, WxId, row.MsgId);
            ArmNext();
            return;
        }

        if (armedFor is { } armed) _pacer.Prepared(armed);
        Start(container, sending, moment);
    }

    /// <summary>Starts the host call at its moment without waiting for it; the answer comes back through <see cref="IAccountSendCallback"/>.</summary>
    private void Start(AccountBinding container, OutboxRow row, long moment)
    {
        var flight = new InFlight(row);
        var self = this.AsReference<IAccountSendCallback>();
        var activation = _activation;
        var wxId = WxId;
        Task<Answered<string>> call;
        try
        {
            // Once started, the call is not cancelled: a request cut off mid-way may still be carried out, and its answer tells.
            call = clock.StartAt(moment, Traced(row, moment, () =>
            {
                flight.MarkStarted();
                return sender.SendAsync(container.HostKey, row.Kind.Path(), row.Body, CancellationToken.None);
            }), _stopping.Token);
        }
        catch (Exception e)
        {
            call = Task.FromException<Answered<string>>(new SendNotStartedException(e.Message));
        }

        _inFlight = flight;
        flight.Answer = call.ContinueWith(t => Answer(row, t, activation, time),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        flight.Answer.ContinueWith(async t =>
        {
            if (!flight.TryClaim()) return;
            try
            {
                await self.OnSendAnsweredAsync(t.Result);
            }
            catch (Exception e)
            {
                // Handed back by the reminder's next tick (ReclaimAnswerAsync) if this activation lives on; else the next
                // activation settles the row as of unknown outcome, and its echo can still settle it.
                flight.Unclaim();
                LogSendFailed(logger, wxId, row.MsgId, $"the host's answer could not be handed back: {e.Message}");
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private static SendAnswer Answer(OutboxRow row, Task<Answered<string>> call, Guid activation, TimeProvider time)
    {
        SendAnswer Of(SendAnswerKind kind, string? hostMsgId, string? error, long stamp) =>
            new(row.MsgId, row.Attempts, kind, hostMsgId, error, activation, stamp, time.GetUtcNow());

        if (call.IsCompletedSuccessfully) return Of(SendAnswerKind.Accepted, call.Result.Value, null, call.Result.Timestamp);
        var now = time.GetTimestamp();
        return call.Exception?.InnerException switch
        {
            SendNotStartedException e => Of(SendAnswerKind.NotStarted, null, e.Message, now),
            SendOutcomeUnknownException e => Of(SendAnswerKind.Unknown, null, e.Message, now),
            WeComException { Code: ErrorCodes.BadRequest } e => Of(SendAnswerKind.Refused, null, e.Message, now),
            { } e => Of(SendAnswerKind.Failed, null, e.Message, now),
            null => Of(SendAnswerKind.Unknown, null, "the host call was cancelled", now),
        };
    }

    /// <summary>Spends a token for the send; returns when it starts at the earliest, or null when no token is to be had now.</summary>
    private async Task<DateTimeOffset?> TakeTokenAsync(AccountBinding container, DateTimeOffset startsAt)
    {
        if (_lease.TryTake(startsAt)) return startsAt;
        // A token usable later is waited for, not given back by asking again.
        if (_lease.NextUsableIn(time.GetUtcNow()) is not null) return null;
        var corp = container.CorpId?.Value ?? "unknown";
        var wanted = Math.Min(_queue.Count, _options.TokensPerLease);
        var request = new BudgetRequest(wanted, ++_leaseSequence, _lease.Pace(_pacer.Gap), _lease.Report());
        var granted = await GrainFactory.Reference<ICorpBudgetGrain>(corp).AcquireAsync(WxId, request);
        _lease.Grant(granted);
        if (granted.Tokens > 0) WeComTelemetry.BudgetGranted.Add(granted.Tokens);
        // A send whose moment passed while the budget answered starts as soon as it can.
        var now = time.GetUtcNow();
        if (startsAt < now) startsAt = now;
        return _lease.TryTake(startsAt) ? startsAt : null;
    }

    /// <summary>Gives the lease back with its report, so that tokens this account will not use serve its corp's others now.</summary>
    private async Task ReturnLeaseAsync()
    {
        var unused = _lease.Unused(time.GetUtcNow());
        if (Container?.CorpId?.Value is not { } corp || _lease.Release() is not { } report) return;
        if (unused > 0) WeComTelemetry.BudgetReturned.Add(unused);
        try
        {
            await GrainFactory.Reference<ICorpBudgetGrain>(corp).ReturnAsync(WxId, report);
        }
        catch (Exception e)
        {
            LogSendFailed(logger, WxId, "lease", e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: send {MsgId} was claimed by another activation of this account; left to it")]
    private static partial void LogClaimLost(ILogger logger, string wxId, string msgId);
}

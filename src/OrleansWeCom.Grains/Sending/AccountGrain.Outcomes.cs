using System.Text.Json;

namespace OrleansWeCom.Grains.Sending;

/// <summary>What becomes of a send: the host's answer, its echo, sends of unknown outcome, zombie accounts.</summary>
public sealed partial class AccountGrain
{
    /// <summary>Recent sends of unknown outcome, oldest first, which a late echo of the host may still settle.</summary>
    private readonly List<OutboxRow> _unknown = [];

    public const int FrequencyErrorCode = -1000999;

    public async Task OnSendAnsweredAsync(SendAnswer answer)
    {
        var flight = _inFlight;
        var ours = flight is not null && flight.Row.MsgId == answer.MsgId && flight.Row.Attempts == answer.Attempt;
        if (ours) _inFlight = null;
        // The budget slot of a send is held until a window after its answer; one that never started is not used.
        if (ours && flight!.Row.LastAttemptAt is { } startsAt)
        {
            if (answer.Kind == SendAnswerKind.NotStarted) _lease.Untake(startsAt);
            else _lease.Answered(startsAt, answer.AnsweredAt);
        }
        if (answer.Kind != SendAnswerKind.NotStarted)
        {
            // The gap counts from the answer: on this activation's monotonic clock, or on the wall clock from another.
            if (answer.Activation == _activation) _pacer.Answered(answer.AnsweredTimestamp);
            else _pacer.AnsweredAt(answer.AnsweredAt);
        }

        try
        {
            if (ours && !flight!.SettledByEcho) await ApplyAnswerAsync(flight.Row, answer);
            else if (!ours) await ApplyLateAnswerAsync(answer);
        }
        finally
        {
            // Whatever the bookkeeping met, the queue goes on.
            ArmNext();
        }

        // Nothing left to send: the tokens still held serve the corp's other accounts.
        if (_queue.Count == 0 && _inFlight is null) await ReturnLeaseAsync();
    }

    /// <summary>An answer that came back but could not be handed to the grain as a call of its own is applied here.</summary>
    private async Task ReclaimAnswerAsync()
    {
        if (_inFlight is { Answer.IsCompleted: true } flight && flight.TryClaim()) await OnSendAnsweredAsync(await flight.Answer);
    }

    /// <summary>Records the answer to the send in flight.</summary>
    private async Task ApplyAnswerAsync(OutboxRow row, SendAnswer answer)
    {
        var now = time.GetUtcNow();
        switch (answer.Kind)
        {
            case SendAnswerKind.Accepted:
                // Kept in memory only: the echo's write settles it. A silo lost before the echo leaves the row "sending"
                // without the host's msgId, and the next activation treats it as of unknown outcome.
                _open[row.MsgId] = row with { HostMsgId = answer.HostMsgId };
                _byHostMsgId[answer.HostMsgId!] = row.MsgId;
                _zombie.Succeeded();
                return;
            case SendAnswerKind.NotStarted:
                await RequeueAsync(row with { State = SendState.Queued, Attempts = row.Attempts - 1, LastAttemptAt = null });
                return;
            case SendAnswerKind.Unknown:
                // The host may have carried it out: not sent again, so it is never delivered twice.
                row = Unknown(row, answer.Error ?? "no answer");
                _open.Remove(row.MsgId);
                RememberUnknown(row);
                LogSendFailed(logger, WxId, row.MsgId, answer.Error ?? "");
                await outbox.SaveAsync(row);
                CountSettled("unknown");
                await CountFailureAsync();
                return;
            case SendAnswerKind.Refused:
                _open.Remove(row.MsgId);
                await outbox.SaveAsync(row with { State = SendState.Failed, SettledAt = now, ErrorCode = ErrorCodes.BadRequest, ErrorMessage = answer.Error });
                CountSettled("failed");
                return;
            default:
                LogSendFailed(logger, WxId, row.MsgId, answer.Error ?? "");
                if (row.Attempts >= _options.MaxAttempts)
                {
                    _open.Remove(row.MsgId);
                    await outbox.SaveAsync(row with { State = SendState.Failed, SettledAt = now, ErrorCode = ErrorCodes.HostUnavailable, ErrorMessage = answer.Error });
                    CountSettled("failed");
                }
                else
                {
                    await RequeueAsync(row with
                    {
                        State = SendState.Queued, ErrorCode = ErrorCodes.HostUnavailable, ErrorMessage = answer.Error,
                        NextAttemptAt = now + Backoff.After(row.Attempts, _options.FrequencyBackoff, _options.MaxBackoff, Random.Shared.NextDouble()),
                    });
                }

                await CountFailureAsync();
                return;
        }
    }

    /// <summary>
    /// An answer to a send of an activation that has ended: this activation took the send for one of unknown outcome, and
    /// the answer tells better.
    /// </summary>
    private async Task ApplyLateAnswerAsync(SendAnswer answer)
    {
        var index = _unknown.FindIndex(r => r.MsgId == answer.MsgId && r.Attempts == answer.Attempt);
        if (index < 0) return;
        var row = _unknown[index];
        if (answer.Kind == SendAnswerKind.Accepted)
        {
            // Stays "unknown" in the table until its echo, which now finds it by the host's msgId.
            _unknown[index] = row with { HostMsgId = answer.HostMsgId };
            _byHostMsgId[answer.HostMsgId!] = row.MsgId;
        }
        else if (answer.Kind == SendAnswerKind.NotStarted)
        {
            _unknown.RemoveAt(index);
            await RequeueAsync(row with { State = SendState.Queued, Attempts = row.Attempts - 1, SettledAt = null, ErrorCode = null, ErrorMessage = null, LastAttemptAt = null });
        }
    }

    private async Task RequeueAsync(OutboxRow row)
    {
        _open[row.MsgId] = row;
        _queue.AddFirst(row);
        SyncDepth();
        await outbox.SaveAsync(row);
    }

    /// <summary>
    /// An activation ending with a call in flight: an unstarted call is abandoned, a started one is waited for a little,
    /// and its answer written with the host's msgId, so that the next activation still knows which echo settles it.
    /// </summary>
    private async Task SettleInFlightBeforeDeactivationAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        if (_inFlight is not { } flight) return;
        SendAnswer answer;
        try
        {
            answer = await flight.Answer.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception)
        {
            return;
        }

        if (!flight.TryClaim()) return;
        _inFlight = null;
        if (flight.SettledByEcho) return;
        await ApplyAnswerAsync(flight.Row, answer);
        if (answer.Kind == SendAnswerKind.Accepted && _open.TryGetValue(flight.Row.MsgId, out var accepted)) await outbox.SaveAsync(accepted);
    }

    /// <summary>How far back an echo delivered again is matched to the send it settled (the inbox redelivers within hours).</summary>
    private static readonly TimeSpan RepeatedEchoHorizon = TimeSpan.FromDays(1);

    public async Task<Settlement?> SettleAsync(string hostMsgId, int errorCode, string? errorMessage, string? conversationId, string? content)
    {
        OutboxRow row;
        if (_byHostMsgId.Remove(hostMsgId, out var known) && _open.TryGetValue(known, out var open))
            row = open;
        else if (known is not null && _unknown.FindIndex(r => r.MsgId == known) is var late and >= 0)
        {
            // A send of unknown outcome whose answer came late named this msgId.
            row = _unknown[late];
            _unknown.RemoveAt(late);
        }
        else if (TakeUnknown(conversationId, content) is { } unknown)
            // The host's answer to this send was lost; its echo tells what became of it after all.
            row = unknown with { HostMsgId = hostMsgId };
        else if (_inFlight is { SettledByEcho: false, Started: true } flight && Matches(flight.Row, conversationId, content))
        {
            // The echo overtook the host's answer to the call in flight: it names the host's msgId itself.
            flight.SettledByEcho = true;
            row = flight.Row with { HostMsgId = hostMsgId };
        }
        else
            // The echo delivered again (its conversation lost it before writing it down): the send it settled keeps its name.
            return await outbox.FindSettledByHostMsgIdAsync(WxId, hostMsgId, time.GetUtcNow() - RepeatedEchoHorizon) is { } settled
                ? new Settlement(settled.MsgId, true)
                : null;

        var msgId = row.MsgId;
        var now = time.GetUtcNow();
        if (errorCode == FrequencyErrorCode && row.Attempts < _options.MaxAttempts)
        {
            // WeCom throttled us: wait, then retry at the head of the queue, still paced.
            var backoff = Backoff.After(row.Attempts, _options.FrequencyBackoff, _options.MaxBackoff, Random.Shared.NextDouble());
            LogFrequencyError(logger, WxId, msgId, backoff.TotalMilliseconds);
            await RequeueAsync(row with { State = SendState.Queued, HostMsgId = null, SettledAt = null, ErrorCode = errorCode, ErrorMessage = errorMessage, NextAttemptAt = now + backoff });
            if (_inFlight is null) Schedule(backoff);
            return new Settlement(msgId, false);
        }

        var sent = errorCode == 0;
        _open.Remove(msgId);
        if (sent) _zombie.Succeeded();
        // A send of unknown outcome was counted when it became so; its late echo does not count it twice.
        if (row.State != SendState.Unknown) CountSettled(sent ? "sent" : "failed");
        await outbox.SaveAsync(row with
        {
            State = sent ? SendState.Sent : SendState.Failed, SettledAt = now, HostMsgId = hostMsgId, ErrorCode = errorCode, ErrorMessage = sent ? null : errorMessage,
        });
        return new Settlement(msgId, true);
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
        var index = _unknown.FindIndex(r => Matches(r, conversationId, content));
        if (index < 0) return null;
        var row = _unknown[index];
        _unknown.RemoveAt(index);
        return row;
    }

    private static bool Matches(OutboxRow row, string? conversationId, string? content) =>
        row.ConversationId == conversationId && (row.Kind != SendKind.Text || TextOf(row) == content);

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

    /// <summary>Counts a failed host call; an account that claims to be online while its calls keep failing is restarted, within limits.</summary>
    private async Task CountFailureAsync()
    {
        if (Container is not { Status: ContainerStatus.Online } container) return;
        var now = time.GetUtcNow();
        if (_zombie.Failed(now, state.State.LastZombieRestart) is not { } verdict) return;
        await events.PublishAsync(new TenantEvent(Guid.NewGuid().ToString(), container.Tenant, TenantEventTypes.AccountAlert,
            container.HostName.Value, container.UserId, WxId, now.ToUnixTimeMilliseconds(),
            JsonSerializer.Serialize(new
            {
                kind = "zombie",
                message = $"{verdict.Failures} consecutive sends failed while the account claims to be online",
                restarting = verdict.Restart,
            }), null, null));
        if (!verdict.Restart) return;
        state.State.LastZombieRestart = now;
        await state.WriteStateAsync();
        LogZombieRestart(logger, WxId, container.HostName.Value);
        await GrainFactory.GetGrain<IContainerGrain>(container.HostName.Value)
            .RequestRestartAsync($"restarted automatically: {verdict.Failures} consecutive sends failed while the account claimed to be online");
    }
}

using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Grains.Sending;

[GenerateSerializer]
public sealed class AccountState
{
    /// <summary>The container the account runs in, as the container grain last reported it.</summary>
    [Id(0)] public AccountBinding? Binding { get; set; }
    [Id(1)] public long NextSeq { get; set; }
    [Id(2)] public DateTimeOffset? LastZombieRestart { get; set; }
}

/// <summary>
/// One logged-in account. Accepted sends live in the outbox table (written before the msgId is returned). A grain timer
/// gives each queued send a turn that takes a budget token, marks the send durably and starts the host call at its moment,
/// then ends: the host's answer comes back as a call of its own (<see cref="IAccountSendCallback"/>), so enqueues, echoes
/// and life-cycle calls never wait on a host. One send in flight at a time, a paced gap apart (<see cref="SendPacer"/>).
/// The turn is in <c>AccountGrain.Turn.cs</c>, echoes and outcomes in <c>AccountGrain.Outcomes.cs</c>.
/// </summary>
public sealed partial class AccountGrain(
    [PersistentState("account", StorageNames.Grains)] IPersistentState<AccountState> state,
    OutboxStore outbox,
    IContainerHostSender sender,
    SendClock clock,
    ITenantEventPublisher events,
    IOptions<SendingOptions> options,
    TenantQueuedBytes tenantBytes,
    TimeProvider time,
    ILogger<AccountGrain> logger) : Grain, IAccountGrain, IAccountSendCallback, IRemindable
{
    private readonly SendingOptions _options = options.Value;
    private readonly LinkedList<OutboxRow> _queue = new();
    private readonly OpenSends _open = new(tenantBytes);
    private readonly Dictionary<string, string> _byHostMsgId = [];
    private bool _reminderSet;
    private const string OutboxReminder = "outbox";

    private string WxId => this.GetPrimaryKeyString();
    private AccountBinding? Container => state.State.Binding;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (open, lastAttempt, unknown) = await outbox.LoadAccountAsync(WxId, now - _options.UnknownOutcomeWindow, cancellationToken);
        // The previous activation's last send counts on the wall clock: its monotonic clock may have been another machine's.
        if (lastAttempt is { } last) _pacer.AnsweredAt(last);
        // A call started with no answer recorded may still reach the host a while after its start.
        if (open.Where(r => r.State == SendState.Sending && r.HostMsgId is null).Max(r => r.LastAttemptAt) is { } started)
            _pacer.AnsweredAt(started, _options.InFlightGrace);
        _unknown.AddRange(unknown);
        _reminderSet = open.Any(r => r.State == SendState.Queued);
        // The sequence is written with the binding only; rows accepted since then must still come before new ones.
        if (open.Count > 0) state.State.NextSeq = Math.Max(state.State.NextSeq, open.Max(r => r.Seq) + 1);
        foreach (var row in open)
        {
            if (row.State == SendState.Sending && row.HostMsgId is null)
            {
                // Handed to the host by an activation that is gone, with no answer recorded: whether it arrived is unknown.
                // Not sent again; its echo, if it comes, still settles it.
                var lost = Unknown(row, "the account's activation ended while the host was being called");
                await outbox.SaveAsync(lost);
                CountSettled("unknown");
                RememberUnknown(lost);
                continue;
            }

            _open[row.MsgId] = row;
            // A send the host took waits for its echo; a queued one waits its turn.
            if (row.HostMsgId is { } host) _byHostMsgId[host] = row.MsgId;
            else _queue.AddLast(row);
        }

        SyncDepth();
        Schedule(TimeSpan.Zero);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await SettleInFlightBeforeDeactivationAsync(cancellationToken);
        await ReturnLeaseAsync();
        SyncDepth(gone: true);
        _open.Release();
    }

    public async Task BindAsync(AccountBinding binding)
    {
        if (binding == Container) return;
        if (Container is { } current && TakeOverRefused(current, binding) is { } why)
        {
            LogBindingRefused(logger, WxId, binding.HostName.Value, current.HostName.Value, why);
            return;
        }

        var wasOnline = Container?.Status == ContainerStatus.Online;
        if (Container is { } previous && previous.Tenant != binding.Tenant) await DropSendsOfAsync(previous.Tenant);
        var newTenant = Container?.Tenant != binding.Tenant;
        state.State.Binding = binding;
        await state.WriteStateAsync();
        // The tenant's list is what the gateway checks a wxId against before it calls this account's grains.
        if (newTenant) await GrainFactory.GetGrain<ITenantGrain>(binding.Tenant.Value).AddAccountAsync(new WxId(WxId));
        var container = binding;
        if (container.Status == ContainerStatus.Online && !wasOnline)
        {
            _zombie.Succeeded();
            Schedule(TimeSpan.Zero);
        }
        else if (container.Status != ContainerStatus.Online && wasOnline)
        {
            // An offline account sends nothing: its tokens go back to the corp now rather than at their use-by time.
            await ReturnLeaseAsync();
        }
    }

    public Task<AccountBinding?> GetBindingAsync() => Task.FromResult(Container);

    public async Task<string> EnqueueAsync(OutboundMessage message, string? idempotencyKey)
    {
        if (Container is null) throw WeComException.NotFound($"account {WxId} is not logged in anywhere");
        // A key this account used lately answers from memory; any other is settled by the insert, which writes nothing
        // when the tenant has used the key: no read before the common case of a new key.
        if (idempotencyKey is not null && _idempotency.Find(idempotencyKey) is { } recent) return SameRequest(idempotencyKey, recent, message);
        try
        {
            EnsureAccepting(1, message.BodyJson.Length);
        }
        catch (WeComException) when (idempotencyKey is not null)
        {
            // A retry of a send accepted earlier is answered even when the queue is full.
            if (await AcceptedUnderAsync(idempotencyKey, message) is { } earlier) return earlier;
            throw;
        }

        var row = NewRow(message, idempotencyKey);
        if (!await outbox.InsertAsync(row)) return await KeyTakenAsync(idempotencyKey, message);
        Accept(row);
        return row.MsgId;
    }

    public async Task<string> EnqueueForAsync(TenantId tenant, OutboundMessage message, string? idempotencyKey)
    {
        if (Container is not { } container || container.Tenant != tenant) throw WeComException.NotFound($"account {WxId} not found");
        if (container.Status != ContainerStatus.Online)
        {
            // A retry of a send already accepted gets its msgId whatever the account's state is now.
            if (idempotencyKey is not null && await AcceptedUnderAsync(idempotencyKey, message) is { } earlier) return earlier;
            throw WeComException.InvalidState($"account {WxId} is not online (status {(int)container.Status} {container.Status}); log it in first");
        }

        return await EnqueueAsync(message, idempotencyKey);
    }

    public async Task<IReadOnlyList<string>> EnqueueManyAsync(IReadOnlyList<OutboundMessage> messages)
    {
        EnsureAccepting(messages.Count, messages.Sum(m => (long)m.BodyJson.Length));
        var rows = messages.Select(m => NewRow(m, null)).ToList();
        await Task.WhenAll(rows.Select(outbox.InsertAsync));
        foreach (var row in rows) Accept(row);
        return rows.Select(r => r.MsgId).ToList();
    }

    public async Task<SendStatus?> GetStatusAsync(string msgId) =>
        _open.TryGetValue(msgId, out var row) ? row.ToStatus()
        : await outbox.FindRowAsync(msgId) is { } stored && stored.WxId == WxId ? stored.ToStatus() : null;

    public Task<int> GetQueueLengthAsync() => Task.FromResult(_queue.Count);

    private void EnsureAccepting(int count, long chars)
    {
        if (Container is null)
            throw WeComException.NotFound($"account {WxId} is not logged in anywhere");
        if (_queue.Count + count > _options.MaxQueuedPerAccount)
            throw new WeComException(ErrorCodes.QueueFull,
                $"queue full: account {WxId} already holds {_queue.Count} unsent messages (limit {_options.MaxQueuedPerAccount}); retry later");
        // Counted on demand: at most MaxQueuedPerAccount rows, far cheaper than the insert that follows.
        var held = 0L;
        foreach (var row in _open.Values) held += row.Body.Length;
        if ((held + chars) * 2 > _options.MaxQueuedBytesPerAccount)
            throw new WeComException(ErrorCodes.QueueFull,
                $"queue full: account {WxId} already holds {held * 2} bytes of unsettled sends (limit {_options.MaxQueuedBytesPerAccount}); retry later");
        var tenant = Container.Tenant.Value;
        if (_options.MaxQueuedBytesPerTenant > 0 && tenantBytes.InCluster(tenant) is var tenantHeld && tenantHeld + chars * 2 > _options.MaxQueuedBytesPerTenant)
            throw new WeComException(ErrorCodes.QueueFull,
                $"queue full: tenant {tenant} already holds {tenantHeld} bytes of unsettled sends (limit {_options.MaxQueuedBytesPerTenant}); retry later");
    }

    /// <summary>
    /// A new outbox row. Its msgId is a time-ordered UUID (version 7), so the outbox's primary key grows at its end and a
    /// group commit of many accounts' sends touches a few pages instead of one random page per send.
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
        CountQueued(row);
        if (row.IdempotencyKey is { } key) _idempotency.Remember(key, IdempotentSend.Of(row));
        // A turn already armed keeps its time; otherwise one runs now (it waits out a call in flight, or reclaims its answer).
        if (!_turnArmed && (_inFlight is null || _inFlight.Answer.IsCompleted)) Schedule(TimeSpan.Zero);
    }

    /// <summary>
    /// A backlog keeps a reminder, so that a silo lost with it brings the account back elsewhere. It is registered when a
    /// backlog appears and removed at its first tick that finds the queue empty, not whenever the queue runs dry: an account
    /// sending now and then would otherwise write the reminder table twice per message.
    /// </summary>
    private async Task KeepReminderAsync()
    {
        if (_queue.Count == 0 || _reminderSet) return;
        await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _reminderSet = true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await ReclaimAnswerAsync();
        if (_queue.Count > 0)
        {
            // Only revives a pump that is not running (after a silo was lost); an armed turn keeps its time.
            if (!_turnArmed && _inFlight is null) Schedule(TimeSpan.Zero);
            return;
        }

        if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
        _reminderSet = false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: send {MsgId} throttled by WeCom (-1000999); retrying in {BackoffMs} ms")]
    private static partial void LogFrequencyError(ILogger logger, string wxId, string msgId, double backoffMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: send {MsgId} failed: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string wxId, string msgId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId} looks like a zombie; restarting container {HostName}")]
    private static partial void LogZombieRestart(ILogger logger, string wxId, string hostName);
}

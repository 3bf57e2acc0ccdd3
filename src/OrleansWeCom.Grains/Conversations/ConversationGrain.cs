using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Grains.Conversations;

/// <summary>
/// One account's view of one conversation. Messages are applied in memory at once and written behind, at most every
/// <see cref="CallbackGrainOptions.FlushInterval"/>: the inbox rows that carried them are marked processed only after
/// that write, so the inbox is the log a crash is recovered from and a busy conversation costs one write per interval.
/// </summary>
public sealed partial class ConversationGrain(
    [PersistentState("conversation", StorageNames.Grains)] IPersistentState<ConversationState> state,
    ICallbackAcknowledger acknowledger,
    ITenantEventPublisher events,
    IOptions<CallbackGrainOptions> options,
    TimeProvider time,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    private readonly CallbackGrainOptions _options = options.Value;
    private readonly List<(long InboxId, Task Published)> _pendingAcks = [];
    private HashSet<Key>? _keys;
    private bool _dirty;
    private IGrainTimer? _flushTimer;

    private ConversationState S => state.State;

    private (WxId WxId, ConversationId ConversationId) Id
    {
        get
        {
            var key = this.GetPrimaryKeyString();
            var bar = key.IndexOf('|');
            return (new WxId(key[..bar]), new ConversationId(key[(bar + 1)..]));
        }
    }

    public async Task<ConversationMessage> AppendAsync(TenantId tenant, ConversationMessage message, TenantEvent tenantEvent, long inboxId)
    {
        var (kept, published) = Take(tenant, message, tenantEvent, inboxId);
        await AfterTakeAsync([published]);
        return kept;
    }

    public async Task AppendBatchAsync(TenantId tenant, IReadOnlyList<ConversationAppend> items)
    {
        var published = new Task[items.Count];
        for (var i = 0; i < items.Count; i++) published[i] = Take(tenant, items[i].Message, items[i].Event, items[i].InboxId).Published;
        await AfterTakeAsync(published);
    }

    /// <summary>
    /// Applies one message in memory and hands its event to the event log, whose writer keeps the order of hand-overs (so
    /// the account's sequence follows the inbox). The inbox row is acknowledged at the next write-behind, and only if the
    /// hand-over succeeded: otherwise the inbox delivers it again, and the repeat is applied once and handed over again.
    /// </summary>
    private (ConversationMessage Kept, Task Published) Take(TenantId tenant, ConversationMessage message, TenantEvent tenantEvent, long inboxId)
    {
        if (S.Tenant != tenant.Value)
        {
            // The account now serves another tenant: the history it gathered for the one before is not the new tenant's.
            if (S.Tenant.Length > 0)
            {
                S.Messages.Clear();
                S.Participants.Clear();
                S.UnreadCount = 0;
                S.MessageCount = 0;
                S.LastReadAt = 0;
                S.LastActivity = 0;
            }

            S.Tenant = tenant.Value;
            _dirty = true;
        }

        var kept = Apply(message);
        if (kept.IsOpenApi && kept.SendMsgId is { } ours && tenantEvent.SendMsgId != ours)
            tenantEvent = tenantEvent with { SendMsgId = ours, DataJson = CallbackJson.MarkOpenApi(tenantEvent.DataJson) };
        var published = events.PublishAsync(tenantEvent);
        _pendingAcks.Add((inboxId, published));
        return (kept, published);
    }

    /// <summary>Indexes the conversation once, waits until the hand-overs are stored, and writes behind.</summary>
    private async Task AfterTakeAsync(Task[] published)
    {
        if (!S.Indexed)
        {
            await GrainFactory.Reference<IAccountConversationsGrain>(Id.WxId.Value).AddAsync(Id.ConversationId);
            S.Indexed = true;
            _dirty = true;
        }

        try
        {
            await Task.WhenAll(published);
        }
        catch (Exception e)
        {
            LogHandOverFailed(logger, e, this.GetPrimaryKeyString(), published.Count(t => !t.IsCompletedSuccessfully));
            ArmFlush();
            throw;
        }

        if (_pendingAcks.Count >= _options.MaxPendingBeforeFlush) await FlushAsync();
        else ArmFlush();
    }

    private ConversationMessage Apply(ConversationMessage m)
    {
        var keys = Keys();
        var serverId = ServerIdOf(m);
        if (keys.Contains(new Key(false, m.MsgId)) || (serverId is not null && keys.Contains(new Key(true, serverId))))
        {
            // Applied before (a re-delivery after a crash): answer with what was kept then.
            return S.Messages.LastOrDefault(x => x.MsgId == m.MsgId || (serverId is not null && ServerIdOf(x) == serverId)) ?? m;
        }

        S.Messages.Add(m);
        AddKeys(keys, m);
        var excess = S.Messages.Count - _options.RecentMessages;
        if (excess > 0)
        {
            foreach (var old in S.Messages.Take(excess))
            {
                keys.Remove(new Key(false, old.MsgId));
                if (ServerIdOf(old) is { } oldServerId) keys.Remove(new Key(true, oldServerId));
            }

            S.Messages.RemoveRange(0, excess);
        }

        S.MessageCount++;
        S.LastActivity = Math.Max(S.LastActivity, m.Timestamp);
        if (!m.Outbound && m.Type != CallbackTypes.ChatGray && m.Timestamp > S.LastReadAt) S.UnreadCount++;
        Participant(m.Sender, m.Outbound ? null : m.SenderName);
        if (!Id.ConversationId.IsRoom) Participant(m.Receiver, null);
        _dirty = true;
        return m;
    }

    private void Participant(string? id, string? name)
    {
        if (string.IsNullOrEmpty(id)) return;
        if (!S.Participants.TryGetValue(id, out var known) || (name is { Length: > 0 } && known != name)) S.Participants[id] = name is { Length: > 0 } ? name : known;
    }

    /// <summary>
    /// The keys of the messages kept: a message is applied once per callback msgId and once per server id (a host's
    /// re-push under a new msgId). Only inbox rows not yet marked can come again, and a write marks at most
    /// <see cref="CallbackGrainOptions.MaxPendingBeforeFlush"/> of them, which the kept messages always cover.
    /// </summary>
    private HashSet<Key> Keys()
    {
        if (_keys is not null) return _keys;
        _keys = [];
        foreach (var m in S.Messages) AddKeys(_keys, m);
        return _keys;
    }

    private static void AddKeys(HashSet<Key> keys, ConversationMessage m)
    {
        keys.Add(new Key(false, m.MsgId));
        if (ServerIdOf(m) is { } serverId) keys.Add(new Key(true, serverId));
    }

    /// <summary>The server id a message is recognised by: a real one (not "0") of a message WeCom accepted.</summary>
    private static string? ServerIdOf(ConversationMessage m) =>
        m.ServerId is { Length: > 0 } sid && sid != "0" && m.ErrorCode is null or 0 ? sid : null;

    /// <summary>A message's callback msgId, or (<see cref="Server"/>) its server id; a pair, so no key string is built per message.</summary>
    private readonly record struct Key(bool Server, string Id);

    public Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(int limit)
    {
        var take = Math.Clamp(limit, 1, _options.RecentMessages);
        return Task.FromResult<IReadOnlyList<ConversationMessage>>(S.Messages.Skip(Math.Max(0, S.Messages.Count - take)).ToList());
    }

    public Task<ConversationSummary?> GetSummaryAsync() => Task.FromResult(Summary());

    public async Task<ConversationSummary?> MarkReadAsync()
    {
        if (S.MessageCount == 0) return null;
        S.LastReadAt = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), S.LastActivity);
        S.UnreadCount = 0;
        _dirty = true;
        await FlushAsync();
        return Summary();
    }

    public async Task FlushAsync()
    {
        if (_dirty)
        {
            await state.WriteStateAsync();
            _dirty = false;
        }

        if (_pendingAcks.Count > 0)
        {
            var pending = _pendingAcks.ToList();
            _pendingAcks.Clear();
            try
            {
                await Task.WhenAll(pending.Select(p => p.Published));
            }
            catch (Exception e)
            {
                LogHandOverFailed(logger, e, this.GetPrimaryKeyString(), pending.Count(p => !p.Published.IsCompletedSuccessfully));
            }

            var applied = pending.Where(p => p.Published.IsCompletedSuccessfully).Select(p => p.InboxId).ToList();
            if (applied.Count > 0) acknowledger.Acknowledge(applied, CallbackOutcome.Applied);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync();
        }
        catch (Exception e)
        {
            // The inbox still holds the unmarked callbacks and applies them again.
            LogFlushFailed(logger, e, this.GetPrimaryKeyString());
        }
    }

    private void ArmFlush() =>
        _flushTimer ??= this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await FlushAsync();
            }
            catch (Exception e)
            {
                LogFlushFailed(logger, e, this.GetPrimaryKeyString());
            }

            if (!_dirty && _pendingAcks.Count == 0)
            {
                _flushTimer?.Dispose();
                _flushTimer = null;
            }
        }, new GrainTimerCreationOptions { DueTime = FirstFlush(), Period = _options.FlushInterval });

    /// <summary>
    /// The first write-behind of a conversation comes after a random half to whole interval: conversations that start
    /// together (a campaign, a silo start) would otherwise all write at once, every interval, in one burst.
    /// </summary>
    private TimeSpan FirstFlush() => _options.FlushInterval * (0.5 + (Random.Shared.NextDouble() * 0.5));

    private ConversationSummary? Summary()
    {
        if (S.MessageCount == 0) return null;
        var (wxId, conversationId) = Id;
        return new ConversationSummary(new TenantId(S.Tenant), wxId, conversationId, S.Messages.LastOrDefault(), S.LastActivity, S.UnreadCount,
            S.Participants.Select(p => new ConversationParticipant(p.Key, p.Value)).ToList(), S.MessageCount, S.LastReadAt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {Key}: {Count} events could not be stored for the tenant; their callbacks stay in the inbox")]
    private static partial void LogHandOverFailed(ILogger logger, Exception e, string key, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Conversation {Key}: write failed; its callbacks stay in the inbox")]
    private static partial void LogFlushFailed(ILogger logger, Exception e, string key);
}

/// <summary>The conversations of one account, in the order they appeared.</summary>
public sealed class AccountConversationsGrain(
    [PersistentState("conversations", StorageNames.Grains)] IPersistentState<AccountConversationsState> state) : Grain, IAccountConversationsGrain
{
    public async Task AddAsync(ConversationId conversationId)
    {
        if (state.State.Conversations.Contains(conversationId.Value)) return;
        state.State.Conversations.Add(conversationId.Value);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<ConversationId>> GetAsync() =>
        Task.FromResult<IReadOnlyList<ConversationId>>(state.State.Conversations.Select(c => new ConversationId(c)).ToList());
}

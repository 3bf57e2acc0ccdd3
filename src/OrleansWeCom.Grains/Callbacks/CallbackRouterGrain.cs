using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Grains.Callbacks;

/// <summary>
/// Applies one container's callbacks in inbox order and fans them out: life cycle to the container grain, send echoes
/// to the account grain, messages to conversation grains, room changes to group grains; then hands the callback to
/// the tenant. It reads one callback stream (an implicit subscription keyed as the stream: an account's wxid, or a
/// container's hostname), one batch at a time. A callback it cannot apply stops the batch: the stream delivers it again,
/// so later callbacks of the stream wait rather than overtake it. Repeats are caught by the inbox, re-deliveries after a crash by the idempotent grains
/// downstream and by the tenant event log's msgId.
/// </summary>
[ImplicitStreamSubscription(CallbackStreams.Namespace)]
public sealed partial class CallbackRouterGrain(
    ITenantEventPublisher events,
    ICallbackAcknowledger acknowledger,
    IOptions<CallbackGrainOptions> options,
    [FromKeyedServices(CallbackStreams.Clock)] TimeProvider time,
    ILogger<CallbackRouterGrain> logger) : Grain, ICallbackRouterGrain, IStreamSubscriptionObserver, IAsyncObserver<CallbackBatch>
{
    /// <summary>The container of the last callback applied (an account's stream names one, unless it logs in anew elsewhere).</summary>
    private ContainerView? _container;
    private string? _containerName;
    private DateTimeOffset _containerFetchedAt;

    /// <summary>Callbacks of a batch that stopped part-way, already applied: its delivery again skips them.</summary>
    private readonly HashSet<long> _appliedOfStopped = [];

    /// <summary>
    /// The inbox row the last batch stopped at. Until a batch from it (or a delivery again of the whole stream) is applied,
    /// a newer batch is refused: the pulling agent may offer one that it read before the stopped row came again.
    /// </summary>
    private long? _stoppedAt;

    /// <summary>
    /// Messages of the current batch not yet appended, by conversation key, in inbox order: each conversation gets them in
    /// one call, all conversations at once, at the batch's end or before a callback of another kind.
    /// </summary>
    private readonly Dictionary<string, (TenantId Tenant, List<ConversationAppend> Items)> _toAppend = [];

    private string Name => this.GetPrimaryKeyString();

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<CallbackBatch>().ResumeAsync(this);

    public Task OnNextAsync(CallbackBatch item, StreamSequenceToken? token = null) => ApplyAsync(item);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public async Task ApplyAsync(CallbackBatch batch)
    {
        // Left unmarked rather than refused with an exception: the pulling agent would retry a refused batch for its whole
        // delivery time, ahead of the stream's delivery again. Unmarked, the rows come back with it, oldest first.
        if (_stoppedAt is { } stopped && !batch.Again && batch.Items.Count > 0 && batch.Items[0].Id > stopped)
        {
            LogWaiting(logger, Name, batch.Items[0].Id, stopped);
            return;
        }

        var done = new Dictionary<CallbackOutcome, List<long>>();
        _toAppend.Clear();
        Exception? failure = null;
        try
        {
            foreach (var item in batch.Items)
            {
                if (_appliedOfStopped.Contains(item.Id)) continue;
                CallbackOutcome? outcome;
                try
                {
                    outcome = await ApplyOneAsync(item);
                }
                catch (ContainerNotYetKnownException e)
                {
                    // Held: its stream delivers it again, this callback first, until the container is known or the hold ends.
                    LogHeld(logger, Name, item.Id, e.HostName);
                    failure = e;
                    break;
                }
                catch (Exception e)
                {
                    // Left unmarked, and the batch stops here: its stream delivers it again, this callback first.
                    LogApplyFailed(logger, e, Name, item.Id);
                    _container = null;
                    failure = e;
                    break;
                }

                _appliedOfStopped.Add(item.Id);
                if (outcome is { } o)
                {
                    if (!done.TryGetValue(o, out var ids)) done[o] = ids = [];
                    ids.Add(item.Id);
                }
            }

            // Messages count as applied once their conversations have stored them for the tenant: until then a later
            // callback of this stream must not overtake one that a silo's crash may still take away. Those gathered before
            // a callback that failed are appended all the same: they come before it.
            try
            {
                await AppendPendingAsync();
            }
            catch (Exception e)
            {
                failure ??= e;
            }

            if (failure is not null)
            {
                _stoppedAt = batch.Items.Select(i => i.Id).Where(id => !_appliedOfStopped.Contains(id)).DefaultIfEmpty(batch.Items[^1].Id).Min();
                ExceptionDispatchInfo.Throw(failure);
            }

            _appliedOfStopped.Clear();
            _stoppedAt = null;
        }
        finally
        {
            foreach (var (outcome, ids) in done) acknowledger.Acknowledge(ids, outcome);
        }
    }

    /// <summary>
    /// Appends the messages gathered so far, each conversation's in one call and all conversations at once; returns once
    /// all are stored for the tenant. What a conversation could not store is taken off the applied list and the batch
    /// fails, so its stream delivers it again before anything newer.
    /// </summary>
    private async Task AppendPendingAsync()
    {
        if (_toAppend.Count == 0) return;
        var pending = _toAppend.ToList();
        _toAppend.Clear();
        var failures = await Task.WhenAll(pending.Select(async pair =>
        {
            try
            {
                await GrainFactory.Reference<IConversationGrain>(pair.Key).AppendBatchAsync(pair.Value.Tenant, pair.Value.Items);
                return null;
            }
            catch (Exception e)
            {
                LogAppendFailed(logger, e, Name, pair.Key);
                foreach (var item in pair.Value.Items) _appliedOfStopped.Remove(item.InboxId);
                return e;
            }
        }));
        if (failures.FirstOrDefault(e => e is not null) is { } failure)
            throw new InvalidOperationException($"Router {Name}: a conversation could not store messages of this batch", failure);
    }

    /// <summary>Applies one callback; null when a conversation grain took over marking it processed.</summary>
    private async Task<CallbackOutcome?> ApplyOneAsync(InboxCallback item)
    {
        // Continues the trace of the request that posted the callback; the tenant's event carries this span on.
        using var activity = CallbackTrace.StartApply(item);
        if (!CallbackParser.TryParse(item.Body, out var e, out var error))
        {
            LogUnparsable(logger, Name, item.Id, error);
            return CallbackOutcome.Failed;
        }

        var container = await ContainerAsync(e.Source.Value);
        if (container is null)
        {
            if (time.GetUtcNow().ToUnixTimeMilliseconds() - item.ReceivedAt < options.Value.UnknownContainerHold.TotalMilliseconds)
                throw new ContainerNotYetKnownException(e.Source.Value);
            LogUnknownContainer(logger, Name, e.Type, e.MsgId);
            return CallbackOutcome.UnknownContainer;
        }

        if (container.HostKey != item.HostKey)
        {
            LogWrongHost(logger, Name, item.HostKey, container.HostKey, e.MsgId);
            return CallbackOutcome.WrongHost;
        }

        var tenant = container.Tenant;
        if (e.Data is MessageData m) return await ApplyMessageAsync(item, e, m, container);

        // A callback of another kind goes to the tenant after the messages before it.
        await AppendPendingAsync();
        switch (e.Data)
        {
            case RoomEventData r:
                await GrainFactory.Reference<IGroupGrain>(new ConversationId(r.RoomConversationId!).RoomId!).ApplyAsync(ToGroupEvent(e, r, tenant));
                await Observe(e, DirectoryChangeKind.RoomChanged, r.RoomConversationId);
                break;
            case QrCodeStatusData or SafeValidateData or UserLoginData or UserOfflineData:
                await GrainFactory.Reference<IContainerGrain>(e.Source.Value).ApplyAsync(ToSignal(e), DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp));
                _container = null;
                break;
        }

        if (e.Type == CallbackTypes.ContactAdd) await Observe(e, DirectoryChangeKind.ContactAdded, null);
        await events.PublishAsync(ToTenantEvent(e, container, e.SendMsgId, e.DataJson, CallbackTrace.Current(item)));
        return CallbackOutcome.Applied;
    }

    /// <summary>Tells the account's directory (one-way) what the callback changed or brought.</summary>
    private Task Observe(CallbackEnvelope e, DirectoryChangeKind kind, string? key, string? hostKey = null) =>
        e.WxId is { } wxId
            ? GrainFactory.Reference<IAccountDirectoryGrain>(wxId.Value).ObserveAsync(new DirectoryChange(kind, key, e.Timestamp, hostKey))
            : Task.CompletedTask;

    private async Task<CallbackOutcome?> ApplyMessageAsync(InboxCallback item, CallbackEnvelope e, MessageData m, ContainerView container)
    {
        var wxId = e.WxId!.Value;
        string? ourMsgId = null;
        if (m.Outbound && e.SendMsgId is { } hostSendId)
        {
            var settlement = await GrainFactory.Reference<IAccountGrain>(wxId.Value).SettleAsync(hostSendId, m.ErrorCode ?? 0, m.ErrorMessage,
                m.ConversationId, (m as TextMessageData)?.Content);
            if (settlement is { Final: false })
            {
                // The account retries this send: this echo is an attempt, not the result the tenant waits for.
                LogSuperseded(logger, Name, settlement.MsgId, m.ErrorCode ?? 0);
                return CallbackOutcome.Superseded;
            }

            ourMsgId = settlement?.MsgId;
        }

        if (m is ImageMessageData or VideoMessageData or VoiceMessageData or FileMessageData && Media(m) is { Length: > 0 } file)
            await Observe(e, DirectoryChangeKind.MediaReceived, file, container.HostKey);

        // A re-delivered echo no longer settles; the conversation remembers which send of ours it was and rewrites the event.
        var conversationId = new ConversationId(m.ConversationId!);
        var message = ToMessage(e, m, ourMsgId ?? e.SendMsgId, ourMsgId is not null || m.IsOpenApi == true);
        var tenantEvent = ToTenantEvent(e, container, ourMsgId ?? e.SendMsgId, ourMsgId is not null && m.IsOpenApi != true ? CallbackJson.MarkOpenApi(e.DataJson) : e.DataJson,
            CallbackTrace.Current(item));
        var key = IConversationGrain.Key(wxId, conversationId);
        if (_toAppend.TryGetValue(key, out var gathered) && gathered.Tenant != container.Tenant) await AppendPendingAsync();
        if (!_toAppend.TryGetValue(key, out gathered)) _toAppend[key] = gathered = (container.Tenant, []);
        gathered.Items.Add(new ConversationAppend(message, tenantEvent, item.Id));
        return null;
    }

    private async Task<ContainerView?> ContainerAsync(string name)
    {
        var now = time.GetUtcNow();
        if (_container is not null && _containerName == name && now - _containerFetchedAt < options.Value.ContainerCacheTtl) return _container;
        _containerName = name;
        _container = await GrainFactory.Reference<IContainerGrain>(name).GetAsync();
        _containerFetchedAt = now;
        return _container;
    }

    private static TenantEvent ToTenantEvent(CallbackEnvelope e, ContainerView container, string? sendMsgId, string? dataJson, string? traceParent) => new(
        e.MsgId, container.Tenant, e.Type, e.Source.Value, e.UserId ?? container.UserId, e.WxId?.Value, e.Timestamp,
        dataJson, sendMsgId, e.ConversationId?.Value, traceParent);

    private static ConversationMessage ToMessage(CallbackEnvelope e, MessageData m, string? sendMsgId, bool isOpenApi) => new(
        e.MsgId, e.Type, m.ServerId, m.Sender, m.SenderName, m.Receiver, m.Outbound, m.SendTime, e.Timestamp, m.ContentType,
        Truncate(m.Preview, 200), sendMsgId, isOpenApi, m.ErrorCode, m.ErrorMessage, Media(m));

    private static string? Media(MessageData m) => m switch
    {
        ImageMessageData i => i.FilePath,
        VideoMessageData v => v.FilePath,
        VoiceMessageData v => v.FilePath,
        FileMessageData f => f.FilePath,
        EmoticonMessageData x => x.Url,
        LinkCardMessageData l => l.Url,
        VideoNumMessageData v => v.Url,
        _ => null,
    };

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private static GroupEvent ToGroupEvent(CallbackEnvelope e, RoomEventData r, TenantId tenant)
    {
        var (kind, members) = r switch
        {
            RoomMembersData md => (e.Type switch
            {
                CallbackTypes.RoomCreate => GroupEventKind.Created,
                CallbackTypes.RoomAddMember => GroupEventKind.MembersAdded,
                _ => GroupEventKind.MembersRemoved,
            }, (md.MemberList ?? []).Where(x => !string.IsNullOrEmpty(x.UserId)).Select(x => new GroupMemberRef(x.UserId!, x.Name)).ToList()),
            RoomMemberQuitData => (GroupEventKind.MemberQuit, [new GroupMemberRef(r.OpUserId!, r.OpUserName)]),
            _ => (GroupEventKind.Renamed, new List<GroupMemberRef>()),
        };
        return new GroupEvent(kind, r.RoomName, r.OpUserId, r.OpUserName, members, e.Timestamp, e.WxId!.Value, tenant, e.MsgId);
    }

    private static LifecycleSignal ToSignal(CallbackEnvelope e) => e.Data switch
    {
        QrCodeStatusData q => new LifecycleSignal.QrStatus(q.Status ?? 0, q.QrcodeKey, q.KeepSec, q.Vid, q.CorpId, q.NickName),
        SafeValidateData s => new LifecycleSignal.SafeValidate(s.Qrcode, s.UserName),
        UserLoginData l => new LifecycleSignal.UserLogin(new AccountProfile(
            new WxId(l.UserId ?? e.WxId!.Value.Value), new CorpId(l.CorpId ?? ""), l.Username, l.Nickname, l.Avatar, l.Mobile,
            l.Position, l.Account, l.Acctid, l.JobName)),
        _ => new LifecycleSignal.UserOffline(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Router {HostName}: inbox row {InboxId} names container {Container}, not known yet; held and delivered again")]
    private static partial void LogHeld(ILogger logger, string hostName, long inboxId, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router {HostName}: callback {Type} {MsgId} names a container we do not know; stored, not delivered")]
    private static partial void LogUnknownContainer(ILogger logger, string hostName, string type, string msgId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router {HostName}: host {Posted} posted callback {MsgId} for a container that runs on host {Owner}; not delivered")]
    private static partial void LogWrongHost(ILogger logger, string hostName, string posted, string owner, string msgId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Router {HostName}: stored callback {InboxId} no longer parses: {Error}")]
    private static partial void LogUnparsable(ILogger logger, string hostName, long inboxId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router {HostName}: applying inbox row {InboxId} failed; its stream delivers it again")]
    private static partial void LogApplyFailed(ILogger logger, Exception e, string hostName, long inboxId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Router {HostName}: conversation {Conversation} could not store its messages; the batch is applied again")]
    private static partial void LogAppendFailed(ILogger logger, Exception e, string hostName, string conversation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Router {HostName}: batch from inbox row {InboxId} left for the stream's delivery again: row {StoppedAt} stopped an earlier batch")]
    private static partial void LogWaiting(ILogger logger, string hostName, long inboxId, long stoppedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Router {HostName}: echo of send {MsgId} failed with {ErrorCode}; the account retries it")]
    private static partial void LogSuperseded(ILogger logger, string hostName, string msgId, int errorCode);
}

/// <summary>A callback names a container whose grain is not initialised yet (its create may still be on its way back).</summary>
public sealed class ContainerNotYetKnownException(string hostName)
    : Exception($"container '{hostName}' is not known yet; its callback is held")
{
    public string HostName { get; } = hostName;
}

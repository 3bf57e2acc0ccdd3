using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks;

namespace OrleansWeCom.Grains.Groups;

/// <summary>
/// One room merged from the reports of every account of ours in it. A callback is identified by its msgId, so a
/// re-delivery changes nothing. Each account's host reports the same change with its own msgId: another account's report
/// of what an applied change did (kind, operator, members, name), close in time and with no other change applied
/// between the two, is that change again. A repeat by the same account, or one after another change, is a new change.
/// </summary>
public sealed partial class GroupGrain(
    [PersistentState("group", StorageNames.Grains)] IPersistentState<GroupState> state,
    IOptions<CallbackGrainOptions> options,
    ILogger<GroupGrain> logger) : Grain, IGroupGrain
{
    private readonly CallbackGrainOptions _options = options.Value;
    private GroupState S => state.State;

    public async Task<bool> ApplyAsync(GroupEvent e)
    {
        var accountsChanged = TrackReporter(e);
        var fingerprint = Fingerprint(e);
        var window = (long)_options.GroupDedupWindow.TotalMilliseconds;
        S.Recent.RemoveAll(r => r.At < e.Timestamp - 2 * window);
        if (S.Recent.Any(r => r.MsgId == e.MsgId || IsSameChange(r, e, fingerprint, window)))
        {
            if (accountsChanged) await state.WriteStateAsync();
            LogRepeat(logger, this.GetPrimaryKeyString(), e.Kind, e.Reporter.Value);
            return false;
        }

        S.Recent.Add(new AppliedChange(fingerprint, e.Timestamp, e.MsgId) { Reporter = e.Reporter.Value });
        Apply(e);
        S.Version++;
        S.UpdatedAt = Math.Max(S.UpdatedAt, e.Timestamp);
        await state.WriteStateAsync();
        return true;
    }

    /// <summary>Another account's report of <paramref name="applied"/>: same effect, within the window, nothing else between.</summary>
    private bool IsSameChange(AppliedChange applied, GroupEvent e, string fingerprint, long window)
    {
        if (applied.Fingerprint != fingerprint || applied.Reporter == e.Reporter.Value || Math.Abs(applied.At - e.Timestamp) > window) return false;
        var (from, to) = applied.At <= e.Timestamp ? (applied.At, e.Timestamp) : (e.Timestamp, applied.At);
        return !S.Recent.Any(r => r.Fingerprint != fingerprint && r.At > from && r.At < to);
    }

    private void Apply(GroupEvent e)
    {
        var op = e.OpUserName ?? e.OpUserId ?? "someone";
        var names = string.Join(", ", e.Members.Select(m => m.Name ?? m.UserId));
        switch (e.Kind)
        {
            case GroupEventKind.Created:
                S.OwnerId ??= e.OpUserId;
                if (e.OpUserId is { Length: > 0 } creator) Join(new GroupMemberRef(creator, e.OpUserName), e, inviter: false);
                foreach (var m in e.Members) Join(m, e, inviter: true);
                Notice(e, $"{op} created the room with {names}");
                break;
            case GroupEventKind.MembersAdded:
                foreach (var m in e.Members) Join(m, e, inviter: true);
                Notice(e, $"{op} added {names}");
                break;
            case GroupEventKind.MembersRemoved:
                foreach (var m in e.Members) Leave(m.UserId);
                Notice(e, $"{op} removed {names}");
                break;
            case GroupEventKind.MemberQuit:
                foreach (var m in e.Members) Leave(m.UserId);
                Notice(e, $"{op} left the room");
                break;
            case GroupEventKind.Renamed:
                Notice(e, $"{op} renamed the room to {e.RoomName}");
                break;
        }

        if (e.RoomName is { Length: > 0 } name) S.Name = name;
    }

    private void Join(GroupMemberRef m, GroupEvent e, bool inviter)
    {
        if (S.Members.TryGetValue(m.UserId, out var known))
        {
            if (m.Name is { Length: > 0 } && known.Name != m.Name) S.Members[m.UserId] = known with { Name = m.Name };
            return;
        }

        S.Members[m.UserId] = new GroupMemberView(m.UserId, m.Name, e.Timestamp, inviter ? e.OpUserId : null, inviter ? e.OpUserName : null);
    }

    private void Leave(string userId)
    {
        S.Members.Remove(userId);
        S.Accounts.Remove(userId);
    }

    private void Notice(GroupEvent e, string text)
    {
        S.Notices.Add(new GroupNotice(e.Timestamp, e.Kind, text, e.OpUserId));
        if (S.Notices.Count > _options.GroupNotices) S.Notices.RemoveRange(0, S.Notices.Count - _options.GroupNotices);
    }

    /// <summary>The reporting account is in the room (unless the report is of its own leaving).</summary>
    private bool TrackReporter(GroupEvent e)
    {
        var leaving = e.Kind is GroupEventKind.MembersRemoved or GroupEventKind.MemberQuit && e.Members.Any(m => m.UserId == e.Reporter.Value);
        if (leaving || S.Accounts.TryGetValue(e.Reporter.Value, out var t) && t == e.ReporterTenant.Value) return false;
        S.Accounts[e.Reporter.Value] = e.ReporterTenant.Value;
        return true;
    }

    private static string Fingerprint(GroupEvent e) =>
        $"{(int)e.Kind}|{e.OpUserId}|{string.Join(',', e.Members.Select(m => m.UserId).Order(StringComparer.Ordinal))}|{(e.Kind == GroupEventKind.Renamed ? e.RoomName : "")}";

    public Task<GroupView?> GetAsync()
    {
        if (S.Version == 0 && S.Accounts.Count == 0) return Task.FromResult<GroupView?>(null);
        return Task.FromResult<GroupView?>(new GroupView(
            ConversationId.Room(this.GetPrimaryKeyString()), S.Name, S.OwnerId,
            S.Members.Values.OrderBy(m => m.JoinedAt ?? 0).ThenBy(m => m.UserId, StringComparer.Ordinal).ToList(),
            S.Notices.ToList(),
            S.Accounts.Select(a => new GroupAccount(new WxId(a.Key), new TenantId(a.Value))).ToList(),
            S.Version, S.UpdatedAt));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group {RoomId}: {Kind} reported again by {Reporter}; already applied")]
    private static partial void LogRepeat(ILogger logger, string roomId, GroupEventKind kind, string reporter);
}

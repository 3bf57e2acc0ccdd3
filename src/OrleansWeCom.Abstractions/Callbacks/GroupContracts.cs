namespace OrleansWeCom.Callbacks;

public enum GroupEventKind { Created, MembersAdded, MembersRemoved, MemberQuit, Renamed }

[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupMemberRef")]
public sealed record GroupMemberRef([property: Id(0)] string UserId, [property: Id(1)] string? Name);

/// <summary>A room notification as one of our accounts reported it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupEvent")]
public sealed record GroupEvent(
    [property: Id(0)] GroupEventKind Kind,
    [property: Id(1)] string? RoomName,
    [property: Id(2)] string? OpUserId,
    [property: Id(3)] string? OpUserName,
    [property: Id(4)] IReadOnlyList<GroupMemberRef> Members,
    [property: Id(5)] long Timestamp,
    [property: Id(6)] WxId Reporter,
    [property: Id(7)] TenantId ReporterTenant,
    [property: Id(8)] string MsgId);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupMemberView")]
public sealed record GroupMemberView(
    [property: Id(0)] string UserId,
    [property: Id(1)] string? Name,
    [property: Id(2)] long? JoinedAt,
    [property: Id(3)] string? InviterId,
    [property: Id(4)] string? InviterName);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupNotice")]
public sealed record GroupNotice(
    [property: Id(0)] long At,
    [property: Id(1)] GroupEventKind Kind,
    [property: Id(2)] string Text,
    [property: Id(3)] string? OpUserId);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupAccount")]
public sealed record GroupAccount([property: Id(0)] WxId WxId, [property: Id(1)] TenantId Tenant);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.GroupView")]
public sealed record GroupView(
    [property: Id(0)] ConversationId ConversationId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? OwnerId,
    [property: Id(3)] IReadOnlyList<GroupMemberView> Members,
    [property: Id(4)] IReadOnlyList<GroupNotice> Notices,
    [property: Id(5)] IReadOnlyList<GroupAccount> Accounts,
    [property: Id(6)] long Version,
    [property: Id(7)] long UpdatedAt);

/// <summary>
/// One room (keyed by the room id without <c>R:</c>), merged from every account of ours in it. Several accounts report
/// the same change; it is applied once.
/// </summary>
[Alias("OrleansWeCom.IGroupGrain")]
public interface IGroupGrain : IGrainWithStringKey
{
    /// <summary>Applies a reported room event; false when it was already applied (reported by another account or again).</summary>
    [Alias("Apply")] Task<bool> ApplyAsync(GroupEvent groupEvent);

    [AlwaysInterleave, Alias("Get")] Task<GroupView?> GetAsync();
}

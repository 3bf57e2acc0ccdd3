using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>Body of <c>POST /group</c>: at least two other members, comma-separated, without the creator.</summary>
public sealed record CreateGroupRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("memberWxIds")] public required string MemberWxIds { get; init; }
}

/// <summary><c>data</c> of <c>POST /group</c>.</summary>
public sealed record CreatedGroup
{
    [JsonPropertyName("createruin")] public string? CreatorUin { get; init; }
    [JsonPropertyName("createtime")] public long CreateTime { get; init; }
    [JsonPropertyName("error_code")] public int ErrorCode { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("failmem")] public IReadOnlyList<FailedMember>? FailedMembers { get; init; }
    [JsonPropertyName("msgid")] public long MsgId { get; init; }
    [JsonPropertyName("msgseq")] public string? MsgSeq { get; init; }
    [JsonPropertyName("roomid")] public string? RoomId { get; init; }
    [JsonPropertyName("roomname")] public string? RoomName { get; init; }
    [JsonPropertyName("sessionid")] public string? SessionId { get; init; }
    [JsonPropertyName("success_add_vidlist")] public IReadOnlyList<AddedMember>? SuccessAddVidList { get; init; }
}

/// <summary>An item of <see cref="CreatedGroup.FailedMembers"/>.</summary>
public sealed record FailedMember
{
    [JsonPropertyName("type")] public int Type { get; init; }
    [JsonPropertyName("vid")] public string? Vid { get; init; }
}

/// <summary>An item of <see cref="CreatedGroup.SuccessAddVidList"/> (the seed nests the id under the list's own name).</summary>
public sealed record AddedMember
{
    [JsonPropertyName("success_add_vidlist")] public string? Vid { get; init; }
}

/// <summary>One item of <c>GET /group/list</c>.</summary>
public sealed record GroupSummary
{
    [JsonPropertyName("wx_id")] public string? WxId { get; init; }
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("create_time")] public long CreateTime { get; init; }
    [JsonPropertyName("create_user_id")] public string? CreateUserId { get; init; }
    [JsonPropertyName("is_external")] public int IsExternal { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("is_admin")] public int IsAdmin { get; init; }
    [JsonPropertyName("is_creator")] public int IsCreator { get; init; }
    [JsonPropertyName("total")] public int Total { get; init; }
}

/// <summary>Body of <c>PUT /group/name</c>.</summary>
public sealed record GroupNameRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("conversationId")] public required string ConversationId { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
}

/// <summary><c>data</c> of <c>GET /group/member/list</c>.</summary>
public sealed record GroupMemberPage
{
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("member_list")] public IReadOnlyList<GroupMember>? MemberList { get; init; }
    [JsonPropertyName("page_num")] public int PageNum { get; init; }
    [JsonPropertyName("page_size")] public int PageSize { get; init; }
    [JsonPropertyName("total")] public int Total { get; init; }
    [JsonPropertyName("total_page")] public int TotalPage { get; init; }
}

/// <summary>An item of <see cref="GroupMemberPage.MemberList"/>.</summary>
public sealed record GroupMember
{
    [JsonPropertyName("acctid")] public string? AcctId { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("invite_user_id")] public string? InviteUserId { get; init; }
    [JsonPropertyName("is_admin")] public int IsAdmin { get; init; }
    [JsonPropertyName("join_scene")] public int JoinScene { get; init; }
    [JsonPropertyName("join_time")] public long JoinTime { get; init; }
    [JsonPropertyName("mobile")] public string? Mobile { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("realname")] public string? RealName { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("room_nickname")] public string? RoomNickName { get; init; }
    [JsonPropertyName("sex")] public int Sex { get; init; }
    [JsonPropertyName("unionid")] public string? UnionId { get; init; }
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("username")] public string? UserName { get; init; }
}

/// <summary>Body of <c>POST /group/member</c> and <c>DELETE /group/member</c> (comma-separated ids).</summary>
public sealed record GroupMembersRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("conversationId")] public required string ConversationId { get; init; }
    [JsonPropertyName("memberWxIds")] public required string MemberWxIds { get; init; }
}

/// <summary>Body of <c>POST /group/member/contact</c>: a friend request to a room member.</summary>
public sealed record GroupMemberContactRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("conversationId")] public required string ConversationId { get; init; }
    [JsonPropertyName("memberWxId")] public required string MemberWxId { get; init; }
    [JsonPropertyName("verify")] public string Verify { get; init; } = "";
}

/// <summary>Body of <c>POST /group/notice</c> (names as in the seed's parameter table).</summary>
public sealed record GroupNoticeRequest
{
    [JsonPropertyName("WxId")] public required string WxId { get; init; }
    [JsonPropertyName("ConversationId")] public required string ConversationId { get; init; }
    [JsonPropertyName("Content")] public required string Content { get; init; }
}

namespace OrleansWeCom.Emulator.Core;

internal enum PersonKind
{
    /// <summary>A WeChat user, id starting 788.</summary>
    Customer,

    /// <summary>A WeCom user of a corp, id starting 1688; every coworker can log in as an account.</summary>
    Coworker,
}

/// <summary>Somebody in the world: a customer or a coworker (account).</summary>
internal sealed class Person
{
    public required string UserId { get; init; }
    public required PersonKind Kind { get; init; }
    /// <summary>The coworker's corp, or WeChat's own corp id for customers (as the seed shows).</summary>
    public required string CorpId { get; init; }
    public required string Name { get; set; }
    public string Nickname { get; set; } = "";
    public string RealName { get; set; } = "";
    public required string Avatar { get; init; }
    public int Sex { get; init; }
    public string Mobile { get; set; } = "";
    public string Position { get; init; } = "";
    public string JobName { get; init; } = "";
    public string Acctid { get; init; } = "";
    public string Email { get; init; } = "";
    public required string UnionId { get; init; }
    public int Pid { get; set; }

    public bool IsCustomer => Kind == PersonKind.Customer;
    public string Account => Acctid.Length == 0 ? "" : Acctid + "@corp.example";
}

internal sealed class Corp
{
    public required string CorpId { get; init; }
    /// <summary>The corp id of the WeCom open platform ("ww…"), as <c>/contact/relation</c> reports it.</summary>
    public required string OpenCorpId { get; init; }
    public required string Name { get; init; }
    public required string ShortName { get; init; }
    public List<Person> Accounts { get; } = [];
    public List<Person> Customers { get; } = [];
    public List<Label> Labels { get; } = [];
}

/// <summary>An account's relation to one of its contacts (an external customer or an inner coworker).</summary>
internal sealed class ContactRelation
{
    public required string ContactId { get; init; }
    public string Remark { get; set; } = "";
    public string Desc { get; set; } = "";
    public string CorpRemark { get; set; } = "";
    public List<string> Phones { get; set; } = [];
    public List<string> LabelIds { get; set; } = [];
    public bool IsDeleted { get; set; }
    public DateTimeOffset? DeleteTime { get; set; }
    public required DateTimeOffset CreateTime { get; init; }
    public int AddWay { get; init; }
}

internal sealed class RoomMember
{
    public required string UserId { get; init; }
    public required string InviteUserId { get; init; }
    public required long JoinTime { get; init; }
    public int JoinScene { get; init; } = 1;
    public string RoomNickname { get; set; } = "";
}

internal sealed class Room
{
    /// <summary>Digits only; the conversation id is <c>R:</c> + this.</summary>
    public required string RoomId { get; init; }
    public required string ExternalRoomId { get; init; }
    public required string CorpId { get; init; }
    public required string OwnerId { get; set; }
    public string Name { get; set; } = "";
    public required long CreateTime { get; init; }
    public List<RoomMember> Members { get; } = [];
    public HashSet<string> Admins { get; } = [];
    public List<string> Notices { get; } = [];

    public string ConversationId => "R:" + RoomId;
    public bool HasMember(string userId) => Members.Exists(m => m.UserId == userId);
    public bool CanManage(string userId) => OwnerId == userId || Admins.Contains(userId);
}

internal sealed class Label
{
    public required string LabelId { get; init; }
    public required string GroupId { get; init; }
    public required string CorpId { get; init; }
    public required string Name { get; init; }
    public int LabelType { get; init; } = 1;
    public int SortOrder { get; init; }
    public long CreateTime { get; init; }
}

internal sealed record MiniProgram(long Id, string Username, string AppId, string AppName, string AppIcon, string Title, string PagePath, string CoverPath, int Type);

internal sealed record VideoNum(long Id, string CoverUrl, string Desc, int FeedType, string Nickname, string ThumbUrl, string Url, string Extras, string Avatar, int Type);

/// <summary>An account of the host itself (光年账号), as <c>/inner/user/list</c> lists them.</summary>
internal sealed record HostUser(string Id, string? Username, string CreatedAt, string? Phone, string? Avatar, int[] Permissions, bool IsAdmin, string? Remark);

internal sealed record FriendRequest(string WxId, string ContactUserId, string Verify, string Via, long Time);

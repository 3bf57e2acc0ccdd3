using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Groups;

[GenerateSerializer]
public sealed class GroupState
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public string? OwnerId { get; set; }
    [Id(2)] public Dictionary<string, GroupMemberView> Members { get; set; } = [];

    /// <summary>Oldest first, bounded.</summary>
    [Id(3)] public List<GroupNotice> Notices { get; set; } = [];

    /// <summary>Our accounts in the room (wxId to tenant): who may read the group's state.</summary>
    [Id(4)] public Dictionary<string, string> Accounts { get; set; } = [];

    /// <summary>Changes applied recently (fingerprint, the reporting callback's timestamp, msgId and account), to apply a change reported by several accounts once.</summary>
    [Id(5)] public List<AppliedChange> Recent { get; set; } = [];

    [Id(6)] public long Version { get; set; }
    [Id(7)] public long UpdatedAt { get; set; }
}

[GenerateSerializer]
public sealed record AppliedChange([property: Id(0)] string Fingerprint, [property: Id(1)] long At, [property: Id(2)] string MsgId)
{
    /// <summary>The account whose callback it was; null for changes stored before it was kept.</summary>
    [Id(3)] public string? Reporter { get; init; }
}

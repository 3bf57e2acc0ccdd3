using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>A room change reported by several accounts is applied once; a real repeat of a change is applied again.</summary>
public sealed class GroupDedupTests
{
    private const string RoomId = "10849942805079999";
    private const string Customer = "7881300830190001";
    private static readonly WxId First = new("1688854355260001");
    private static readonly WxId Second = new("1688854355260002");

    private static GroupEvent Change(GroupEventKind kind, WxId reporter, long at, string? msgId = null) => new(
        kind, "XF、卡卡", First.Value, "XF", [new GroupMemberRef(Customer, "卡卡")], at, reporter, new TenantId("t1"), msgId ?? Guid.NewGuid().ToString());

    [Fact]
    public async Task A_member_added_removed_and_added_again_within_the_window_stays_in_the_room()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var group = host.Grains.GetGrain<IGroupGrain>(RoomId);
        const long t0 = 1_700_000_000_000;

        Assert.True(await group.ApplyAsync(Change(GroupEventKind.MembersAdded, First, t0)));
        Assert.True(await group.ApplyAsync(Change(GroupEventKind.MembersRemoved, First, t0 + 60_000)));
        Assert.True(await group.ApplyAsync(Change(GroupEventKind.MembersAdded, First, t0 + 120_000)));

        var view = await group.GetAsync();
        Assert.Equal(Customer, Assert.Single(view!.Members).UserId);
        Assert.Equal(3, view.Version);
    }

    [Fact]
    public async Task The_second_account_reports_of_each_change_change_nothing_even_when_they_arrive_late()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var group = host.Grains.GetGrain<IGroupGrain>(RoomId + "1");
        const long t0 = 1_700_000_000_000;
        var added = Change(GroupEventKind.MembersAdded, First, t0);

        Assert.True(await group.ApplyAsync(added));
        Assert.True(await group.ApplyAsync(Change(GroupEventKind.MembersRemoved, First, t0 + 60_000)));
        // The second account's report of the first add comes after the removal: it is the same add, not a new one.
        Assert.False(await group.ApplyAsync(Change(GroupEventKind.MembersAdded, Second, t0 + 150)));
        Assert.False(await group.ApplyAsync(Change(GroupEventKind.MembersRemoved, Second, t0 + 60_200)));
        // The same callback delivered again is recognised by its msgId.
        Assert.False(await group.ApplyAsync(added));

        var view = await group.GetAsync();
        Assert.Empty(view!.Members);
        Assert.Equal(2, view.Version);
    }
}

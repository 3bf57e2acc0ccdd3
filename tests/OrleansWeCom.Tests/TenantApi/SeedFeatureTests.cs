using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static OrleansWeCom.Tests.TenantApi.DirectoryTestHost;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>Seeds 001–003 through the tenant API, over the seed-000 host (the embedded emulator).</summary>
[Collection(EmulatorHostCollection.Name)]
public sealed class SeedFeatureTests(SharedDirectoryHost shared)
{
    [Fact]
    public async Task Seed001_rooms_are_created_with_a_paced_greeting_grow_by_a_member_and_are_found_by_member()
    {
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (hostname, wx) = await host.LoginAsync(mine);
        await host.LoginAsync(other);
        var customers = await IdsAsync(host, "/contact/external/list", wx);
        var colleagues = await IdsAsync(host, "/contact/inner/list", wx);
        // A customer in none of the rooms the emulator's world gave this account: the first room will be its only one.
        var worldRooms = (await DataAsync(await CallAsync(host.Emulator, "GET", "/group/list", new { wxId = wx }))).EnumerateArray()
            .Select(r => r.GetProperty("conversation_id").GetString()!).ToList();
        var inWorldRooms = new HashSet<string>();
        foreach (var worldRoom in worldRooms) inWorldRooms.UnionWith(await MembersAsync(host, wx, worldRoom));
        var newcomer = customers.Skip(2).First(c => !inWorldRooms.Contains(c));

        var created = await DataAsync(await CallAsync(mine, "POST", "/room/create",
            new { botUserId = wx, userIds = new[] { colleagues[0] }, wxids = new[] { customers[0], customers[1] }, name = "tea club", greeting = "hello all" }));
        var room = created.GetProperty("roomWxid").GetString()!;
        Assert.Equal(room, created.GetProperty("chatId").GetString());
        var members = await MembersAsync(host, wx, room);
        Assert.Superset(new HashSet<string> { wx, colleagues[0], customers[0], customers[1] }, members.ToHashSet());
        Assert.Contains("tea club", (await DataAsync(await CallAsync(host.Emulator, "GET", "/group/list", new { wxId = wx }))).GetRawText());

        // The greeting went through the outbox and reached the room.
        var greeting = created.GetProperty("greetingMsgId").GetString()!;
        await WaitAsync(async () => (await DataAsync(await mine.GetAsync($"/gnapi/open/msg/status?msgId={greeting}"))).GetProperty("status").GetString() == "sent", "the greeting was never sent");
        var sent = await host.Emulator.GetStringAsync($"/emulator/containers/{hostname}/sent");
        Assert.Contains("hello all", sent);
        Assert.Contains(room, sent);

        // Union ids, learnt from the room's members, name the same people.
        var unions = (await DataAsync(await CallAsync(host.Emulator, "GET", "/group/member/list", new { wxId = wx, conversationId = room })))
            .GetProperty("member_list").EnumerateArray().Where(m => m.GetProperty("user_id").GetString() is { } u && (u == customers[0] || u == customers[1]))
            .Select(m => m.GetProperty("unionid").GetString()!).ToArray();
        var second = (await DataAsync(await CallAsync(mine, "POST", "/room/create", new { wxId = wx, unionIds = unions }))).GetProperty("roomWxid").GetString()!;
        Assert.Contains(customers[1], await MembersAsync(host, wx, second));

        // The seed's error codes: too few members, an unknown coworker, a member already in the room.
        await SeedErrorAsync(CallAsync(mine, "POST", "/room/create", new { botUserId = wx, wxids = new[] { customers[0] } }), HttpStatusCode.BadRequest, -10);
        await SeedErrorAsync(CallAsync(mine, "POST", "/room/create", new { botUserId = wx, userIds = new[] { "1688000000000000" }, wxids = customers.Take(2) }), HttpStatusCode.NotFound, -6);
        await SeedErrorAsync(CallAsync(mine, "POST", "/room/create", new { botUserId = wx, wxids = new[] { customers[0], "7880000000000001" } }), HttpStatusCode.NotFound, -7);

        var added = await DataAsync(await CallAsync(mine, "POST", "/room/addMember", new { botUserId = wx, contactWxid = newcomer, roomWxid = room }));
        Assert.False(added.GetProperty("invited").GetBoolean());
        Assert.Contains(newcomer, await MembersAsync(host, wx, room));
        await SeedErrorAsync(CallAsync(mine, "POST", "/room/addMember", new { botUserId = wx, contactWxid = newcomer, roomWxid = room }), HttpStatusCode.Conflict, -9);

        // Rooms by member: both rooms hold customers[1], only the first the newcomer.
        var byMember = await DataAsync(await CallAsync(mine, "GET", "/room/listByMember", new { contactWxid = newcomer }));
        Assert.Equal([room], byMember.EnumerateArray().Select(r => r.GetProperty("wxid").GetString()));
        Assert.Contains(newcomer, byMember[0].GetProperty("members").EnumerateArray().Select(m => m.GetProperty("wxid").GetString()));
        var both = await DataAsync(await CallAsync(mine, "GET", "/room/listByMember", new { wxId = wx, contactWxid = customers[1] }));
        Assert.Superset(new HashSet<string?> { room, second }, both.EnumerateArray().Select(r => r.GetProperty("wxid").GetString()).ToHashSet());

        // What the host cannot do answers 501 in the envelope; another tenant's key finds nothing.
        using (var exit = await CallAsync(mine, "POST", "/room/exit", new { wecomUserId = wx, roomWxid = room }))
        {
            Assert.Equal(HttpStatusCode.NotImplemented, exit.StatusCode);
            Assert.Equal(ErrorCodes.NotSupported, JsonDocument.Parse(await exit.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        using (var tags = await CallAsync(mine, "GET", "/room/listByMHTag", new { mhTagId = "x", current = 1, pageSize = 10 })) Assert.Equal(HttpStatusCode.NotImplemented, tags.StatusCode);
        foreach (var call in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => CallAsync(other, "POST", "/room/create", new { botUserId = wx, wxids = customers.Take(2) }),
                     () => CallAsync(other, "POST", "/room/addMember", new { botUserId = wx, contactWxid = customers[3], roomWxid = room }),
                     () => CallAsync(other, "GET", "/room/listByMember", new { wxId = wx, contactWxid = customers[1] }),
                 })
            using (var refused = await call()) Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        // Without a named account another tenant searches only its own accounts (which may share a room with ours).
        Assert.DoesNotContain(wx, (await DataAsync(await CallAsync(other, "GET", "/room/listByMember", new { contactWxid = customers[1] }))).EnumerateArray()
            .Select(r => r.GetProperty("botInfo").GetProperty("wxid").GetString()));
    }

    [Fact]
    public async Task Seed001_a_room_of_40_takes_no_more_at_creation_and_a_member_past_40_is_invited()
    {
        var host = shared.Host;
        var mine = await host.TenantAsync(shared.Tenants().Mine);
        var (_, wx) = await host.LoginAsync(mine);
        var customers = await IdsAsync(host, "/contact/external/list", wx);
        Assert.True(customers.Count > 41, $"the emulator gave {customers.Count} customers");

        await SeedErrorAsync(CallAsync(mine, "POST", "/room/create", new { wxId = wx, wxids = customers.Take(41) }), HttpStatusCode.BadRequest, -10);
        var room = (await DataAsync(await CallAsync(mine, "POST", "/room/create", new { wxId = wx, wxids = customers.Take(40) }))).GetProperty("roomWxid").GetString()!;
        Assert.Equal(41, (await MembersAsync(host, wx, room)).Count);
        var added = await DataAsync(await CallAsync(mine, "POST", "/room/addMember", new { wxId = wx, contactWxid = customers[40], roomWxid = room }));
        Assert.True(added.GetProperty("invited").GetBoolean());
    }

    [Fact]
    public async Task Seed002_contacts_by_many_ids_and_the_address_list_follow_the_host()
    {
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (_, wx) = await host.LoginAsync(mine);
        var customers = await IdsAsync(host, "/contact/external/list", wx);
        var colleagues = await IdsAsync(host, "/contact/inner/list", wx);
        var rooms = (await DataAsync(await CallAsync(host.Emulator, "GET", "/group/list", new { wxId = wx }))).EnumerateArray()
            .Select(r => r.GetProperty("conversation_id").GetString()!).ToList();

        var asked = new[] { customers[0], "7880000000000001", colleagues[0], rooms[0] };
        var found = (await DataAsync(await CallAsync(mine, "POST", "/getContact", new { wId = wx, wcId = string.Join(',', asked) }))).EnumerateArray().ToList();
        Assert.Equal(asked, found.Select(f => f.GetProperty("userName").GetString()));
        Assert.Equal([true, false, true, true], found.Select(f => f.GetProperty("found").GetBoolean()));
        var profile = (await DataAsync(await CallAsync(host.Emulator, "GET", "/contact/external/list", new { wxId = wx }))).EnumerateArray().First();
        Assert.Equal(profile.GetProperty("username").GetString(), found[0].GetProperty("nickName").GetString());
        using (var tooMany = await CallAsync(mine, "POST", "/getContact", new { wId = wx, wcId = string.Join(',', Enumerable.Range(0, 101).Select(i => $"788{i}")) }))
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);

        await DataAsync(await CallAsync(mine, "POST", "/initAddressList", new { wId = wx }));
        var list = await DataAsync(await CallAsync(mine, "POST", "/getAddressList", new { wId = wx }));
        Assert.Equal(customers, list.GetProperty("friends").EnumerateArray().Select(f => f.GetString()!));
        Assert.Equal(colleagues, list.GetProperty("others").EnumerateArray().Select(f => f.GetString()!));
        Assert.Equal(rooms, list.GetProperty("chatrooms").EnumerateArray().Select(f => f.GetString()!));
        var page = await DataAsync(await CallAsync(mine, "POST", "/getAddressList", new { wId = wx, current = 2, pageSize = 5 }));
        Assert.Equal(customers.Skip(5).Take(5), page.GetProperty("friends").EnumerateArray().Select(f => f.GetString()!));
        Assert.True(page.GetProperty("page").GetProperty("hasNextPage").GetBoolean());

        // Another tenant's key finds nothing.
        foreach (var path in new[] { "/getContact", "/initAddressList", "/getAddressList" })
            using (var refused = await CallAsync(other, "POST", path, new { wId = wx, wcId = customers[0] }))
                Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task Seed003_all_users_carry_their_tags()
    {
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (_, wx) = await host.LoginAsync(mine);
        var customers = await IdsAsync(host, "/contact/external/list", wx);
        var colleagues = await IdsAsync(host, "/contact/inner/list", wx);

        var all = await DataAsync(await CallAsync(mine, "POST", "/get-all-user", new { wxId = wx, current = 1, pageSize = 1000 }));
        Assert.Equal(customers.Concat(colleagues), all.GetProperty("datas").EnumerateArray().Select(u => u.GetProperty("id").GetString()!));
        Assert.False(all.GetProperty("hasNextPage").GetBoolean());
        var names = (await DataAsync(await CallAsync(host.Emulator, "GET", "/label/all", new { wxId = wx }))).EnumerateArray()
            .ToDictionary(l => l.GetProperty("labelId").GetString()!, l => l.GetProperty("name").GetString()!);
        foreach (var user in all.GetProperty("datas").EnumerateArray().Take(10))
        {
            var theirs = (await DataAsync(await CallAsync(host.Emulator, "GET", "/label/contact/labels", new { wxId = wx, contactUserId = user.GetProperty("id").GetString() })))
                .EnumerateArray().Select(l => names[l.GetProperty("label_id").GetString()!]).Order();
            Assert.Equal(theirs, user.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order());
        }

        var page = await DataAsync(await CallAsync(mine, "POST", "/get-all-user", new { wxId = wx, current = 1, pageSize = 3 }));
        Assert.Equal(3, page.GetProperty("datas").GetArrayLength());
        Assert.True(page.GetProperty("hasNextPage").GetBoolean());
        using var refused = await CallAsync(other, "POST", "/get-all-user", new { wxId = wx });
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    internal static async Task<List<string>> IdsAsync(DirectoryTestHost host, string path, string wx) =>
        (await DataAsync(await CallAsync(host.Emulator, "GET", path, new { wxId = wx }))).EnumerateArray().Select(c => c.GetProperty("user_id").GetString()!).ToList();

    private static async Task<List<string>> MembersAsync(DirectoryTestHost host, string wx, string room) =>
        (await DataAsync(await CallAsync(host.Emulator, "GET", "/group/member/list", new { wxId = wx, conversationId = room })))
        .GetProperty("member_list").EnumerateArray().Select(m => m.GetProperty("user_id").GetString()!).ToList();

    private static async Task SeedErrorAsync(Task<HttpResponseMessage> call, HttpStatusCode status, int code)
    {
        using var response = await call;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var envelope = JsonDocument.Parse(text).RootElement;
        Assert.Equal(code, envelope.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
    }

    internal static async Task WaitAsync(Func<Task<bool>> done, string failure, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }
}

using System.Net;
using System.Text.Json;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>The rules seed 000 states for sends and rooms.</summary>
public sealed class RuleTests
{
    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_link_needs_a_non_blank_title(string title)
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var (status, body) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/link", new { wxId = login.WxId, conversationId = login.Conversation, title, url = "https://x" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("title", body.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gif_over_5MB_must_go_as_a_file()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(new byte[5 * 1024 * 1024 + 1]), "file", "big.gif");
        var upload = JsonDocument.Parse(await (await h.Http.PostAsync("/gnapi/open/file/upload", form)).Content.ReadAsStringAsync()).RootElement;
        var path = upload.GetProperty("data").GetString()!;

        var (asGif, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/gif", new { wxId = login.WxId, conversationId = login.Conversation, fileUrl = path });
        var (asFile, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/file", new { wxId = login.WxId, conversationId = login.Conversation, fileUrl = path });
        Assert.Equal(HttpStatusCode.BadRequest, asGif);
        Assert.Equal(HttpStatusCode.OK, asFile);
    }

    [Fact]
    public async Task A_video_over_50MB_is_refused_and_one_at_50MB_is_sent()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var big = (await h.PostAsync("/emulator/files", new { name = "big.mp4", size = 50L * 1024 * 1024 + 1 })).GetProperty("path").GetString();
        var limit = (await h.PostAsync("/emulator/files", new { name = "limit.mp4", size = 50L * 1024 * 1024 })).GetProperty("path").GetString();

        var (tooBig, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/video", new { wxId = login.WxId, conversationId = login.Conversation, fileUrl = big });
        var (atLimit, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/video", new { wxId = login.WxId, conversationId = login.Conversation, fileUrl = limit });
        Assert.Equal(HttpStatusCode.BadRequest, tooBig);
        Assert.Equal(HttpStatusCode.OK, atLimit);
    }

    [Fact]
    public async Task A_room_create_needs_at_least_two_other_members()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var contacts = (await h.GetAsync($"/gnapi/open/contact/external/list?wxId={login.WxId}")).GetProperty("data").EnumerateArray().Select(c => c.GetProperty("user_id").GetString()).ToList();

        var (one, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/group", new { wxId = login.WxId, memberWxIds = $"{contacts[0]},{login.WxId}" });
        Assert.Equal(HttpStatusCode.BadRequest, one);
        var two = await h.PostAsync("/gnapi/open/group", new { wxId = login.WxId, memberWxIds = $"{contacts[0]},{contacts[1]}" });
        var roomId = two.GetProperty("data").GetProperty("roomid").GetString();
        var created = await h.Receiver.WaitForTypeAsync("notify_type_room_create", login.Hostname);
        Assert.Equal("R:" + roomId, created.GetProperty("data").GetProperty("room_conversation_id").GetString());
        Assert.Equal(2, created.GetProperty("data").GetProperty("member_list").GetArrayLength());
    }

    [Fact]
    public async Task Only_the_owner_or_an_admin_removes_members_or_posts_a_notice()
    {
        await using var h = await Harness.StartAsync();
        var owner = await h.LoginAsync("apps-1");
        var member = await h.LoginAsync("apps-2");
        var room = (await h.GetAsync($"/gnapi/open/group/list?wxId={owner.WxId}")).GetProperty("data").EnumerateArray()
            .First(r => r.GetProperty("is_creator").GetInt32() == 1).GetProperty("conversation_id").GetString()!;
        await h.PostAsync("/gnapi/open/group/member", new { wxId = owner.WxId, conversationId = room, memberWxIds = member.WxId });
        var customers = await Members(h, owner.WxId, room);
        var target = customers.First(id => id.StartsWith("788", StringComparison.Ordinal));

        // The seed: an ordinary member gets success, and nothing changes.
        await h.OkAsync(HttpMethod.Delete, "/gnapi/open/group/member", new { wxId = member.WxId, conversationId = room, memberWxIds = target });
        await h.PostAsync("/gnapi/open/group/notice", new { WxId = member.WxId, ConversationId = room, Content = "member notice" });
        Assert.Contains(target, await Members(h, owner.WxId, room));

        await h.OkAsync(HttpMethod.Delete, "/gnapi/open/group/member", new { wxId = owner.WxId, conversationId = room, memberWxIds = target });
        await h.PostAsync("/gnapi/open/group/notice", new { WxId = owner.WxId, ConversationId = room, Content = "owner notice" });
        Assert.DoesNotContain(target, await Members(h, owner.WxId, room));
        var removed = await h.Receiver.WaitForTypeAsync("notify_type_room_del_member", owner.Hostname);
        Assert.Equal(target, removed.GetProperty("data").GetProperty("member_list")[0].GetProperty("user_id").GetString());

        var world = await h.GetAsync("/emulator/world");
        var notices = world.GetProperty("rooms").EnumerateArray().First(r => r.GetProperty("conversationId").GetString() == room).GetProperty("notices");
        Assert.Equal(["owner notice"], notices.EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task RoomAt_places_mentions_at_the_marks_and_0_mentions_everyone()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var room = (await h.GetAsync($"/gnapi/open/group/list?wxId={login.WxId}")).GetProperty("data")[0].GetProperty("conversation_id").GetString()!;
        var members = (await h.GetAsync($"/gnapi/open/group/member/list?wxId={login.WxId}&conversationId={room}")).GetProperty("data").GetProperty("member_list")
            .EnumerateArray().Where(m => m.GetProperty("user_id").GetString() != login.WxId).ToList();
        var (id, name) = (members[0].GetProperty("user_id").GetString()!, members[0].GetProperty("username").GetString()!);

        var placed = (await h.PostAsync("/gnapi/open/msg/roomAt", new { wxId = login.WxId, conversationId = room, content = "你好{$@},世界", atList = new[] { id } }))
            .GetProperty("data").GetProperty("msgId").GetString()!;
        var everyone = (await h.PostAsync("/gnapi/open/msg/roomAt", new { wxId = login.WxId, conversationId = room, content = "开会", atList = new[] { "0" } }))
            .GetProperty("data").GetProperty("msgId").GetString()!;

        var first = (await h.EchoOfAsync(placed)).GetProperty("data");
        Assert.Equal("text_msg", (await h.EchoOfAsync(placed)).GetProperty("type").GetString());
        Assert.Equal($"你好@{name},世界", first.GetProperty("content").GetString());
        Assert.Equal([id], first.GetProperty("at_list").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("@所有人 开会", (await h.EchoOfAsync(everyone)).GetProperty("data").GetProperty("content").GetString());

        var (stranger, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/roomAt", new { wxId = login.WxId, conversationId = room, content = "x", atList = new[] { "7880000000000000" } });
        Assert.Equal(HttpStatusCode.BadRequest, stranger);
    }

    [Fact]
    public async Task Inbound_room_events_update_the_world()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var room = (await h.GetAsync($"/gnapi/open/group/list?wxId={login.WxId}")).GetProperty("data")[0].GetProperty("conversation_id").GetString()!;
        var newcomer = (await h.PostAsync($"/emulator/containers/{login.Hostname}/inbound", new { type = "notify_type_contact_add" })).GetProperty("userId").GetString()!;
        await h.PostAsync($"/emulator/containers/{login.Hostname}/inbound", new { type = "notify_type_room_add_member", conversationId = room, members = new[] { newcomer } });
        Assert.Contains(newcomer, await Members(h, login.WxId, room));
        await h.PostAsync($"/emulator/containers/{login.Hostname}/inbound", new { type = "notify_type_room_member_quit", conversationId = room, userId = newcomer });
        Assert.DoesNotContain(newcomer, await Members(h, login.WxId, room));
        var text = await h.PostAsync($"/emulator/containers/{login.Hostname}/inbound", new { type = "text_msg", conversationId = $"S:{login.WxId}_{newcomer}", content = "在吗" });
        var callback = await h.Receiver.WaitForTypeAsync("text_msg", login.Hostname, e => e.GetProperty("data").GetProperty("server_id").GetString() == text.GetProperty("serverId").GetString());
        Assert.Equal(newcomer, callback.GetProperty("data").GetProperty("sender").GetString());
        Assert.Equal("在吗", callback.GetProperty("data").GetProperty("content").GetString());
    }

    private static async Task<List<string>> Members(Harness h, string wxId, string room) =>
        (await h.GetAsync($"/gnapi/open/group/member/list?wxId={wxId}&conversationId={room}")).GetProperty("data").GetProperty("member_list")
        .EnumerateArray().Select(m => m.GetProperty("user_id").GetString()!).ToList();
}

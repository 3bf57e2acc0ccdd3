using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static OrleansWeCom.Tests.TenantApi.DirectoryTestHost;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>Changes through the tenant API reach the host, and what the directory keeps follows them and the callbacks.</summary>
[Collection(EmulatorHostCollection.Name)]
public sealed class DirectoryCommandTests(SharedDirectoryHost shared)
{
    [Fact]
    public async Task Edits_and_room_callbacks_make_kept_answers_stale_and_an_offline_account_answers_409()
    {
        var host = shared.Host;
        var mine = await host.TenantAsync(shared.Tenants().Mine);
        var (hostname, wx) = await host.LoginAsync(mine);
        var customers = (await DataAsync(await CallAsync(mine, "GET", "/contact/external/list", new { wxId = wx }))).EnumerateArray()
            .Select(c => c.GetProperty("user_id").GetString()!).ToList();
        var (customer, second, third) = (customers[0], customers[1], customers[2]);

        // A kept profile follows our own edit.
        Assert.NotEqual("VIP", (await DataAsync(await CallAsync(mine, "GET", "/contact/extendinfo", new { wxId = wx, ContactId = customer }))).GetProperty("remark").GetString());
        await DataAsync(await CallAsync(mine, "PUT", "/contact/remark", new { wxId = wx, contactId = customer, remark = "VIP" }));
        Assert.Equal("VIP", (await DataAsync(await CallAsync(mine, "GET", "/contact/extendinfo", new { wxId = wx, ContactId = customer }))).GetProperty("remark").GetString());

        // Labels set through us show at once.
        var label = (await DataAsync(await CallAsync(mine, "GET", "/label/all", new { wxId = wx }))).EnumerateArray()
            .First(l => l.GetProperty("labelGroupId").ToString() != "0").GetProperty("labelId").GetString()!;
        await DataAsync(await CallAsync(mine, "GET", "/label/contact/labels", new { wxId = wx, contactUserId = customer }));
        await DataAsync(await CallAsync(mine, "POST", "/label/contact/setlabel", new { labelIds = new[] { label }, contactUserId = customer, wxId = wx }));
        var labels = await DataAsync(await CallAsync(mine, "GET", "/label/contact/labels", new { wxId = wx, contactUserId = customer }));
        Assert.Equal([label], labels.EnumerateArray().Select(l => l.GetProperty("label_id").GetString()));

        // A room created through us is listed; members kept by us follow a change the host reports by callback only.
        var room = "R:" + (await DataAsync(await CallAsync(mine, "POST", "/group", new { wxId = wx, memberWxIds = $"{customer},{second}" }))).GetProperty("roomid");
        Assert.Contains(room, (await DataAsync(await CallAsync(mine, "GET", "/group/list", new { wxId = wx }))).EnumerateArray().Select(g => g.GetProperty("conversation_id").GetString()));
        Assert.DoesNotContain(third, await MembersAsync(mine, wx, room));
        using (var added = await host.Emulator.PostAsJsonAsync($"/emulator/containers/{hostname}/inbound",
                   new { type = "notify_type_room_add_member", conversationId = room, members = new[] { third }, opUserId = second }))
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await MembersAsync(mine, wx, room)).Contains(third))
        {
            Assert.True(DateTime.UtcNow < deadline, "the room callback never made the kept member list stale");
            await Task.Delay(100);
        }

        // Every other change through us, each followed by a read through us that must equal the host's own answer.
        var followUps = new (string Method, string Path, object Params, string ReadPath, object ReadParams)[]
        {
            ("PUT", "/contact/desc", new { wxId = wx, contactId = customer, desc = "likes tea" }, "/contact/extendinfo", new { wxId = wx, ContactId = customer }),
            ("PUT", "/contact/phone", new { wxId = wx, contactId = customer, phones = new[] { "18268181111" } }, "/contact/extendinfo", new { wxId = wx, ContactId = customer }),
            ("PUT", "/group/name", new { wxId = wx, conversationId = room, name = "tea club" }, "/group/list", new { wxId = wx }),
            ("DELETE", "/group/member", new { wxId = wx, conversationId = room, memberWxIds = third }, "/group/member/list", new { wxId = wx, conversationId = room }),
            ("POST", "/group/member", new { wxId = wx, conversationId = room, memberWxIds = new[] { third } }, "/group/member/list", new { wxId = wx, conversationId = room }),
            ("POST", "/contact/relation/sync", new { wxId = wx, ContactUserId = customer }, "/contact/relation", new { wxId = wx, ContactUserId = customer }),
            ("POST", "/contact/remove", new { wxId = wx, ContactUserId = second }, "/contact/external/list", new { wxId = wx }),
        };
        foreach (var (method, path, parameters, readPath, readParameters) in followUps)
        {
            await DataAsync(await CallAsync(mine, "GET", readPath, readParameters));
            await DataAsync(await CallAsync(mine, method, path, parameters));
            var ours = await DataAsync(await CallAsync(mine, "GET", readPath, readParameters));
            var theirs = await DataAsync(await CallAsync(host.Emulator, "GET", readPath, readParameters));
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(theirs.GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(ours.GetRawText())),
                $"after {method} {path}: ours {ours} host {theirs}");
        }

        Assert.Contains(third, await MembersAsync(mine, wx, room));
        await DataAsync(await CallAsync(mine, "POST", "/group/member/contact", new { wxId = wx, conversationId = room, memberWxId = third, verify = "from the room" }));

        // Friend requests and notices reach the host.
        await DataAsync(await CallAsync(mine, "POST", "/group/notice", new { WxId = wx, ConversationId = room, Content = "welcome" }));
        await DataAsync(await CallAsync(mine, "POST", "/contact/search/add", new { wxId = wx, contactUserId = third, openid = "o", wxticket = "", verify = "found you" }));
        await DataAsync(await CallAsync(mine, "POST", "/batchmsg/confirm", new { wxId = wx }));
        var world = await host.Emulator.GetStringAsync("/emulator/world");
        Assert.Contains("welcome", world);
        Assert.Contains("found you", world);
        Assert.Contains("from the room", world);

        // A host's refusal comes back in the envelope with its message; bad input never reaches the host.
        using (var unknown = await CallAsync(mine, "GET", "/contact/extendinfo", new { wxId = wx, ContactId = "7881000000000000" }))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var missing = await CallAsync(mine, "PUT", "/group/name", new { wxId = wx, conversationId = room }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
            Assert.Contains("name is required", await missing.Content.ReadAsStringAsync());
        }

        // Logged out: every call answers 409, kept answers included.
        using (var offline = await host.Emulator.PostAsJsonAsync($"/emulator/containers/{hostname}/offline", new { status = 2 })) Assert.True(offline.IsSuccessStatusCode);
        deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await host.Grains.GetGrain<IAccountGrain>(wx).GetBindingAsync())?.Status == ContainerStatus.Online)
        {
            Assert.True(DateTime.UtcNow < deadline, "the account never went offline");
            await Task.Delay(100);
        }

        using var refused = await CallAsync(mine, "GET", "/contact/extendinfo", new { wxId = wx, ContactId = customer });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(ErrorCodes.InvalidState, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Kept_answers_are_served_while_the_host_fails_and_id_conversions_stop_at_the_quota()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["WeCom:Directory:IdConversionsPerWindow"] = "2" });
        var mine = await host.TenantAsync("t1");
        var (_, wx) = await host.LoginAsync(mine);
        var contacts = await DataAsync(await CallAsync(mine, "GET", "/contact/external/list", new { wxId = wx }));
        var ids = contacts.EnumerateArray().Select(c => c.GetProperty("user_id").GetString()!).Take(3).ToList();
        var converted = await DataAsync(await CallAsync(mine, "POST", "/contact/externalUserId", new { WxId = wx, ContactUserId = ids[0] }));

        using (var fault = await host.Emulator.PutAsJsonAsync("/emulator/faults", new { serverErrorMs = 60_000, serverErrorStatus = 503 })) Assert.True(fault.IsSuccessStatusCode);
        Assert.Equal(contacts.GetRawText(), (await DataAsync(await CallAsync(mine, "GET", "/contact/external/list", new { wxId = wx }))).GetRawText());
        Assert.Equal(converted.GetRawText(), (await DataAsync(await CallAsync(mine, "POST", "/contact/externalUserIdFromDb", new { WxId = wx, ContactUserId = ids[0] }))).GetRawText());
        using (var search = await CallAsync(mine, "GET", "/contact/search", new { wxId = wx, keyword = "13800000000" }))
            Assert.Equal(HttpStatusCode.BadGateway, search.StatusCode);
        using (var fault = await host.Emulator.PutAsJsonAsync("/emulator/faults", new { serverErrorMs = 0 })) Assert.True(fault.IsSuccessStatusCode);

        // The kept conversion cost nothing the second time; two more asked of WeCom pass the quota of two.
        await DataAsync(await CallAsync(mine, "POST", "/contact/externalUserId", new { WxId = wx, ContactUserId = ids[0] }));
        await DataAsync(await CallAsync(mine, "POST", "/contact/externalUserId", new { WxId = wx, ContactUserId = ids[1] }));
        using var refused = await CallAsync(mine, "POST", "/contact/externalUserId", new { WxId = wx, ContactUserId = ids[2] });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("FromDb", await refused.Content.ReadAsStringAsync());
        await DataAsync(await CallAsync(mine, "POST", "/contact/externalUserIdFromDb", new { WxId = wx, ContactUserId = ids[2] }));
    }

    private static async Task<List<string>> MembersAsync(HttpClient tenant, string wx, string room) =>
        (await DataAsync(await CallAsync(tenant, "GET", "/group/member/list", new { wxId = wx, conversationId = room })))
        .GetProperty("member_list").EnumerateArray().Select(m => m.GetProperty("user_id").GetString()!).ToList();
}

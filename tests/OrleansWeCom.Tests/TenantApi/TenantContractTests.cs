using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using static OrleansWeCom.Tests.TenantApi.DirectoryTestHost;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>Seed 000's directory routes through the tenant API against the embedded emulator.</summary>
[Collection(EmulatorHostCollection.Name)]
public sealed class TenantContractTests(SharedDirectoryHost shared)
{
    private sealed record Route(string Method, string Path, object Params);

    [Fact]
    public async Task Every_seed_route_answers_the_hosts_data_and_another_tenants_key_gets_404()
    {
        var host = shared.Host;
        var (t1, t2) = shared.Tenants();
        var mine = await host.TenantAsync(t1);
        var other = await host.TenantAsync(t2);
        var (_, wx) = await host.LoginAsync(mine);
        await host.LoginAsync(other);

        // Ids to ask about, from the host itself.
        var customers = await DataAsync(await CallAsync(host.Emulator, "GET", "/contact/external/list", new { wxId = wx }));
        var customer = customers.EnumerateArray().First().GetProperty("user_id").GetString()!;
        var externalUserId = customers.EnumerateArray().First().GetProperty("external_user_id").GetString()!;
        var colleagues = await DataAsync(await CallAsync(host.Emulator, "GET", "/contact/inner/list", new { wxId = wx }));
        var labels = await DataAsync(await CallAsync(host.Emulator, "GET", "/label/all", new { wxId = wx }));
        var label = labels.EnumerateArray().First(l => l.GetProperty("labelGroupId").ToString() != "0").GetProperty("labelId").GetString()!;
        var world = JsonDocument.Parse(await host.Emulator.GetStringAsync("/emulator/world")).RootElement;
        var mobile = world.GetProperty("corps").EnumerateArray().SelectMany(c => c.GetProperty("customers").EnumerateArray())
            .First(c => c.GetProperty("userId").GetString() == customer).GetProperty("mobile").GetString()!;
        var second = customers.EnumerateArray().Skip(1).First().GetProperty("user_id").GetString()!;
        var created = await DataAsync(await CallAsync(mine, "POST", "/group", new { wxId = wx, memberWxIds = $"{customer},{second}" }));
        var room = "R:" + created.GetProperty("roomid").ToString();
        var externalRoom = (await DataAsync(await CallAsync(host.Emulator, "POST", "/group/externalRoomId", new { WxId = wx, RoomId = room }))).GetProperty("ExternalRoomId").GetString()!;
        Assert.NotEqual(0, colleagues.GetArrayLength());

        var reads = new Route[]
        {
            new("GET", "/contact/external/list", new { wxId = wx }),
            new("GET", "/contact/inner/list", new { wxId = wx }),
            new("GET", "/contact/extendinfo", new { wxId = wx, ContactId = customer }),
            new("POST", "/contact/external/query", new { ContactInfos = new[] { new { WxId = wx, ContactUserId = customer } } }),
            new("GET", "/contact/search", new { wxId = wx, keyword = mobile }),
            new("GET", "/group/list", new { wxId = wx }),
            new("GET", "/group/member/list", new { wxId = wx, conversationId = room }),
            new("GET", "/label/all", new { wxId = wx }),
            new("GET", "/label/contact/labels", new { wxId = wx, contactUserId = customer }),
            new("POST", "/label/contact/search", new { wxids = new[] { wx }, labelIds = new[] { label }, PageIndex = 1, PageSize = 20 }),
            new("GET", "/label/contacts", new { labelId = label, wxId = wx }),
            new("POST", "/contact/externalUserId", new { WxId = wx, ContactUserId = customer }),
            new("POST", "/contact/externalUserIdFromDb", new { WxId = wx, ContactUserId = customer }),
            new("POST", "/contact/contactUserId", new { WxId = wx, ExternalUserId = externalUserId }),
            new("POST", "/contact/contactUserIdFromDb", new { WxId = wx, ExternalUserId = externalUserId }),
            new("POST", "/group/externalRoomId", new { WxId = wx, RoomId = room }),
            new("POST", "/group/RoomId", new { WxId = wx, ExternalRoomId = externalRoom }),
            new("GET", "/contact/relation", new { wxId = wx, ContactUserId = customer }),
            new("GET", "/miniprogram/list", new { wxId = wx }),
            new("GET", "/videonum/list", new { wxId = wx }),
        };
        foreach (var read in reads)
        {
            // Twice through us: the second answer may come from the directory and must still be the host's.
            var first = await DataAsync(await CallAsync(mine, read.Method, read.Path, read.Params));
            var again = await DataAsync(await CallAsync(mine, read.Method, read.Path, read.Params));
            var theirs = await DataAsync(await CallAsync(host.Emulator, read.Method, read.Path, read.Params));
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(theirs.GetRawText()), JsonNode.Parse(first.GetRawText())), $"{read.Path}: ours {first} host {theirs}");
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(theirs.GetRawText()), JsonNode.Parse(again.GetRawText())), $"{read.Path} again: ours {again} host {theirs}");
        }

        // Parameter names are case-insensitive.
        var shouted = await DataAsync(await host.Http.SendAsync(Request(mine, HttpMethod.Get, $"/gnapi/open/contact/extendinfo?WXID={wx}&contactid={customer}")));
        Assert.Equal(customer, shouted.GetProperty("user_id").GetString());

        var writes = new Route[]
        {
            new("PUT", "/contact/remark", new { wxId = wx, contactId = customer, remark = "r" }),
            new("PUT", "/contact/desc", new { wxId = wx, contactId = customer, desc = "d" }),
            new("PUT", "/contact/phone", new { wxId = wx, contactId = customer, phones = new[] { "18268181111" } }),
            new("POST", "/contact/remove", new { wxId = wx, ContactUserId = customer }),
            new("POST", "/contact/search/add", new { wxId = wx, contactUserId = customer, openid = "o", wxticket = "", verify = "hi" }),
            new("POST", "/group", new { wxId = wx, memberWxIds = $"{customer},{second}" }),
            new("PUT", "/group/name", new { wxId = wx, conversationId = room, name = "n" }),
            new("POST", "/group/member", new { wxId = wx, conversationId = room, memberWxIds = customer }),
            new("DELETE", "/group/member", new { wxId = wx, conversationId = room, memberWxIds = customer }),
            new("POST", "/group/member/contact", new { wxId = wx, conversationId = room, memberWxId = customer, verify = "hi" }),
            new("POST", "/group/notice", new { WxId = wx, ConversationId = room, Content = "notice" }),
            new("POST", "/label/contact/setlabel", new { labelIds = new[] { label }, contactUserId = customer, wxId = wx }),
            new("POST", "/contact/relation/sync", new { wxId = wx, ContactUserId = customer }),
            new("POST", "/batchmsg/confirm", new { wxId = wx }),
        };
        foreach (var route in reads.Concat(writes))
        {
            using var refused = await CallAsync(other, route.Method, route.Path, route.Params);
            Assert.True(HttpStatusCode.NotFound == refused.StatusCode, $"{route.Method} {route.Path} by another tenant answered {(int)refused.StatusCode}");
            var envelope = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal((ErrorCodes.NotFound, JsonValueKind.Null), (envelope.GetProperty("code").GetInt32(), envelope.GetProperty("data").ValueKind));
        }

        var before = await host.Emulator.GetStringAsync("/emulator/world");
        Assert.Equal(before, await host.Emulator.GetStringAsync("/emulator/world"));
        Assert.DoesNotContain("\"verify\":\"hi\"", before);
    }

    private static HttpRequestMessage Request(HttpClient tenant, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("apikey", tenant.DefaultRequestHeaders.GetValues("apikey"));
        return request;
    }
}

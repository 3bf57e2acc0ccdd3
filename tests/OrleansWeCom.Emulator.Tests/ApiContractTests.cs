using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>One logged-in world shared by the contract rows: account A (owner of a room) and coworker B.</summary>
public sealed class ContractFixture : IAsyncLifetime
{
    internal Harness Harness { get; private set; } = null!;
    internal Dictionary<string, string> Values { get; } = [];

    public async Task InitializeAsync()
    {
        Harness = await Harness.StartAsync();
        var a = await Harness.LoginAsync("apps-1");
        var b = await Harness.LoginAsync("apps-2");
        var contacts = (await Harness.GetAsync($"/gnapi/open/contact/external/list?wxId={a.WxId}")).GetProperty("data").EnumerateArray()
            .Select(c => c.GetProperty("user_id").GetString()!).ToList();
        var room = (await Harness.GetAsync($"/gnapi/open/group/list?wxId={a.WxId}")).GetProperty("data").EnumerateArray()
            .First(r => r.GetProperty("is_creator").GetInt32() == 1 && r.GetProperty("is_external").GetInt32() == 1).GetProperty("conversation_id").GetString()!;
        var members = (await Harness.GetAsync($"/gnapi/open/group/member/list?wxId={a.WxId}&conversationId={room}")).GetProperty("data").GetProperty("member_list")
            .EnumerateArray().Select(m => m.GetProperty("user_id").GetString()!).ToList();
        var label = (await Harness.GetAsync($"/gnapi/open/label/all?wxId={a.WxId}")).GetProperty("data")[0].GetProperty("labelId").GetString()!;
        await Harness.PostAsync("/gnapi/open/label/contact/setlabel", new { wxId = a.WxId, contactUserId = a.CustomerId, labelIds = new[] { label } });
        var ext = (await Harness.PostAsync("/gnapi/open/contact/externalUserId", new { WxId = a.WxId, ContactUserId = a.CustomerId })).GetProperty("data").GetProperty("ExternalUserId").GetString()!;
        var extRoom = (await Harness.PostAsync("/gnapi/open/group/externalRoomId", new { WxId = a.WxId, RoomId = room })).GetProperty("data").GetProperty("ExternalRoomId").GetString()!;
        var phone = (await Harness.GetAsync($"/gnapi/open/contact/extendinfo?wxId={a.WxId}&ContactId={a.CustomerId}")).GetProperty("data").GetProperty("phone_list")[0].GetString()!;
        var others = contacts.Where(c => c != a.CustomerId && !members.Contains(c)).ToList();
        Values["{wxId}"] = a.WxId;
        Values["{coworker}"] = b.WxId;
        Values["{conv}"] = a.Conversation;
        Values["{customer}"] = a.CustomerId;
        Values["{customer2}"] = others[0];
        Values["{customer3}"] = others[1];
        Values["{delCustomer}"] = others[2];
        Values["{room}"] = room;
        Values["{roomMember}"] = members.Last(m => m.StartsWith("788", StringComparison.Ordinal));
        Values["{roomMember2}"] = members.First(m => m.StartsWith("788", StringComparison.Ordinal));
        Values["{label}"] = label;
        Values["{ext}"] = ext;
        Values["{extRoom}"] = extRoom;
        Values["{phone}"] = phone;
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>
/// Every endpoint of seed 000 with its method, path, parameters and the field names of its response data,
/// called once as the seed spells the parameters and once with the names upper-cased (they are case-insensitive).
/// </summary>
public sealed class ApiContractTests(ContractFixture fixture) : IClassFixture<ContractFixture>
{
    private const string ExternalContact = "avatar conversation_id corp_id nickname position realname remark sex user_id username external_user_id is_delete delete_time";
    private const string InnerContact = "avatar conversation_id corp_id nickname position realname remark sex user_id username";
    private const string Relation = "ContactUserId ExternalUserId CorpId CorpIdOrigin UnionId AddWay State CreateTime AddWayDesc";
    private const string Sent = "{msgId}";
    private const string Null = "null";

    // method, path (query allowed), JSON body, expected data: "null", "{fields}" for an object, "[fields]" for an array.
    public static readonly TheoryData<string, string, string, string> Endpoints = Rows();

    private static TheoryData<string, string, string, string> Rows()
    {
        var rows = new List<(string, string, string, string)>
        {
            ("GET", "/inner/user/wx/list?IsOnline=false&userId=apps-1", "", "[hostname wxId userId username nickname avatar corp_id corp_name mobile position corp_short_name job_name account acctid Status QrCode]"),
            ("GET", "/inner/user/list", "", "[id username createdAt phone avatar Permissions IsAdmin Remark]"),
            ("GET", "/container/memory", "", "[WxId UserName HostName WxPid Memory]"),
            ("GET", "/contact/external/list?wxId={wxId}", "", $"[{ExternalContact}]"),
            ("GET", "/contact/extendinfo?wxId={wxId}&ContactId={customer}", "", "{corp_remark desc phone_list remark status user_id}"),
            ("GET", "/contact/inner/list?wxId={wxId}", "", $"[{InnerContact}]"),
            ("PUT", "/contact/remark", """{"wxId":"{wxId}","contactId":"{customer}","remark":"备注"}""", Null),
            ("PUT", "/contact/desc", """{"wxId":"{wxId}","contactId":"{customer}","desc":"描述"}""", Null),
            ("PUT", "/contact/phone", """{"wxId":"{wxId}","contactId":"{customer}","phones":["18268181111","18268182222"]}""", Null),
            ("POST", "/contact/remove", """{"wxId":"{wxId}","ContactUserId":"{delCustomer}"}""", Null),
            ("POST", "/contact/external/query", """{"ContactInfos":[{"WxId":"{wxId}","ContactUserId":"{customer}"}]}""", $"[{ExternalContact}]"),
            ("GET", "/contact/search?wxId={wxId}&keyword={phone}", "", "{contact_info corpinfo datalist error_code error_message flag keyword name relation search_status}"),
            ("POST", "/contact/search/add", """{"wxId":"{wxId}","contactUserId":"{customer2}","openid":"o","wxticket":"","verify":"你好"}""", Null),
            ("POST", "/msg/text", """{"wxId":"{wxId}","conversationId":"{conv}","content":"你真的是又美又仙啊"}""", Sent),
            ("POST", "/msg/roomAt", """{"wxId":"{wxId}","conversationId":"{room}","content":"你好,世界{$@}","atList":["0"]}""", Sent),
            ("POST", "/msg/image", """{"fileUrl":"http://software.example/a.jpg","wxId":"{wxId}","conversationId":"{conv}"}""", Sent),
            ("POST", "/msg/file", """{"fileUrl":"http://software.example/a.txt","wxId":"{wxId}","conversationId":"{conv}"}""", Sent),
            ("POST", "/msg/gif", """{"fileUrl":"http://software.example/a.gif","wxId":"{wxId}","conversationId":"{conv}"}""", Sent),
            ("POST", "/msg/video", """{"fileUrl":"http://software.example/a.mp4","wxId":"{wxId}","conversationId":"{conv}"}""", Sent),
            ("POST", "/msg/voice", """{"fileUrl":"http://software.example/a.aac","wxId":"{wxId}","conversationId":"{conv}"}""", Sent),
            ("POST", "/msg/personCard", """{"wxId":"{wxId}","conversationId":"{conv}","personCardUserId":"{customer2}","nickname":"C奕","avatar":"http://wx.qlogo.cn/a/0"}""", Sent),
            ("POST", "/msg/link", """{"wxId":"{wxId}","conversationId":"{conv}","title":"百度一下","desc":"d","url":"https://www.baidu.com","imageUrl":"http://x/y.jpg"}""", Sent),
            ("POST", "/msg/miniProgram", """{"wxId":"{wxId}","conversationId":"{conv}","username":"gh_1@app","appid":"wx2c","appname":"美团","appicon":"http://i","title":"美团外卖","page_path":"pages/index","cover_path":"/gnapi/files/x.png"}""", Sent),
            ("POST", "/msg/videoNum", """{"wxId":"{wxId}","conversationId":"{conv}","cover_url":"http://c","desc":"d","feed_type":4,"nickname":"唐瑜熙","thumb_url":"http://t","url":"https://channels.weixin.qq.com/x","extras":"","avatar":"http://a"}""", Sent),
            ("POST", "/msg/quote", """{"wxId":"{wxId}","conversationId":"{conv}","content":"我很好","serverId":"1107070","quote":"安坚实:\n你好吗?"}""", Sent),
            ("POST", "/miniProgram/send", """{"wxId":"{wxId}","conversationId":"{conv}","miniProgramId":7}""", Sent),
            ("POST", "/videonum/send", """{"wxId":"{wxId}","conversationId":"{conv}","videoNumId":20}""", Sent),
            ("POST", "/group", """{"wxId":"{wxId}","memberWxIds":"{customer2},{customer3}"}""", "{createruin createtime error_code error_message failmem msgid msgseq roomid roomname sessionid success_add_vidlist}"),
            ("GET", "/group/list?wxId={wxId}", "", "[wx_id conversation_id create_time create_user_id is_external nickname is_admin is_creator total]"),
            ("PUT", "/group/name", """{"wxId":"{wxId}","conversationId":"{room}","name":"PK赛第五场"}""", Null),
            ("GET", "/group/member/list?wxId={wxId}&conversationId={room}", "", "{conversation_id member_list page_num page_size total total_page}"),
            ("POST", "/group/member", """{"wxId":"{wxId}","conversationId":"{room}","memberWxIds":"{customer3}"}""", Null),
            ("DELETE", "/group/member", """{"wxId":"{wxId}","conversationId":"{room}","memberWxIds":"{roomMember}"}""", Null),
            ("POST", "/group/member/contact", """{"wxId":"{wxId}","conversationId":"{room}","memberWxId":"{roomMember2}","verify":""}""", Null),
            ("POST", "/group/notice", """{"ConversationId":"{room}","Content":"这是群公告","Wxid":"{wxId}"}""", Null),
            ("POST", "/contact/externalUserId", """{"WxId":"{wxId}","ContactUserId":"{customer}"}""", "{ExternalUserId}"),
            ("POST", "/contact/externalUserIdFromDb", """{"WxId":"{wxId}","ContactUserId":"{customer}"}""", "{ExternalUserId}"),
            ("POST", "/contact/contactUserId", """{"WxId":"{wxId}","ExternalUserId":"{ext}"}""", "{ContactUserId}"),
            ("POST", "/contact/contactUserIdFromDb", """{"WxId":"{wxId}","ExternalUserId":"{ext}"}""", "{ContactUserId}"),
            ("POST", "/group/externalRoomId", """{"WxId":"{wxId}","RoomId":"{room}"}""", "{ExternalRoomId}"),
            ("POST", "/group/RoomId", """{"WxId":"{wxId}","ExternalRoomId":"{extRoom}"}""", "{RoomId}"),
            ("GET", "/contact/relation?wxId={wxId}&ContactUserId={customer}", "", "{" + Relation + "}"),
            ("GET", "/contact/relation?wxId={wxId}&ExternalUserId={ext}", "", "{" + Relation + "}"),
            ("POST", "/contact/relation/sync", """{"wxId":"{wxId}","ContactUserId":"{customer}"}""", "{" + Relation + " Name Avatar}"),
            ("GET", "/label/all?wxId={wxId}", "", "[corpId name labelId labelGroupId dataType labelType sortOrder business createTime]"),
            ("POST", "/label/contact/setlabel", """{"labelIds":["{label}"],"contactUserId":"{customer}","wxId":"{wxId}"}""", Null),
            ("GET", "/label/contact/labels?wxId={wxId}&contactUserId={customer}", "", "[name label_id]"),
            ("POST", "/label/contact/search", """{"wxids":["{wxId}"],"labelIds":["{label}"],"PageIndex":1,"PageSize":100}""", "[wx_id user_id conversation_id avatar corp_id desc external_job nickname position username realname remark sex is_delete delete_time LastChatTimestamp LastChatMsg NewMsgCount WarnMsg]"),
            ("GET", "/label/contacts?labelId={label}&wxId={wxId}", "", "[avatar conversation_id corp_id nickname position realname remark sex user_id username external_user_id]"),
            ("GET", "/miniprogram/list", "", "[id username appid appname appicon title page_path cover_path type]"),
            ("GET", "/videonum/list", "", "[id cover_url desc feed_type nickname thumb_url url extras avatar type]"),
            ("POST", "/batchmsg/confirm", """{"wxId":"{wxId}"}""", Null),
        };
        var data = new TheoryData<string, string, string, string>();
        foreach (var (method, path, body, expected) in rows)
        {
            data.Add(method, path, body, expected);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_answers_the_seed_envelope_and_fields(string method, string path, string body, string expected)
    {
        await AssertContractAsync(method, path, body, expected, upperCaseNames: false);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_accepts_parameter_names_in_any_case(string method, string path, string body, string expected)
    {
        await AssertContractAsync(method, path, body, expected, upperCaseNames: true);
    }

    [Fact]
    public async Task Unknown_wxId_is_404_with_the_error_envelope()
    {
        var (status, json) = await fixture.Harness.CallAsync(HttpMethod.Get, "/gnapi/open/contact/external/list?wxId=1688000000000000");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.NotEqual(0, json.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("msg").GetString()));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("data").ValueKind);
    }

    [Fact]
    public async Task Missing_parameter_and_malformed_json_are_400()
    {
        var (missing, _) = await fixture.Harness.CallAsync(HttpMethod.Post, "/gnapi/open/msg/text", new { wxId = fixture.Values["{wxId}"] });
        var (malformed, _) = await fixture.Harness.CallAsync(HttpMethod.Post, "/gnapi/open/msg/text", "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal(HttpStatusCode.BadRequest, malformed);
    }

    [Fact]
    public async Task File_upload_returns_a_path_that_is_served_back()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent("hello emulator"u8.ToArray()), "file", "发布群控.txt");
        using var response = await fixture.Harness.Http.PostAsync("/gnapi/open/file/upload", form);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, json.GetProperty("code").GetInt32());
        var path = json.GetProperty("data").GetString()!;
        Assert.StartsWith("/gnapi/files/", path, StringComparison.Ordinal);
        Assert.EndsWith("发布群控.txt", path, StringComparison.Ordinal);
        Assert.Equal("hello emulator", await fixture.Harness.Http.GetStringAsync(path));
    }

    private async Task AssertContractAsync(string method, string path, string body, string expected, bool upperCaseNames)
    {
        path = Fill(path);
        body = Fill(body);
        if (upperCaseNames)
        {
            path = UpperQueryNames(path);
            body = body.Length == 0 ? body : UpperNames(JsonNode.Parse(body)!).ToJsonString();
        }

        var (status, json) = await fixture.Harness.CallAsync(new HttpMethod(method), "/gnapi/open" + path, body.Length == 0 ? null : body);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path} answered {(int)status}: {json}");
        Assert.Equal(0, json.GetProperty("code").GetInt32());
        Assert.Equal("", json.GetProperty("msg").GetString());
        var data = json.GetProperty("data");
        if (expected == Null)
        {
            Assert.Equal(JsonValueKind.Null, data.ValueKind);
            return;
        }

        var fields = expected[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
        if (expected[0] == '[')
        {
            Assert.Equal(JsonValueKind.Array, data.ValueKind);
            Assert.True(data.GetArrayLength() > 0, $"{path}: the world should give a non-empty list");
            foreach (var item in data.EnumerateArray())
            {
                Assert.Equal(fields, item.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
            }
        }
        else
        {
            Assert.Equal(fields, data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        }
    }

    private string Fill(string text)
    {
        foreach (var (key, value) in fixture.Values)
        {
            text = text.Replace(key, value, StringComparison.Ordinal);
        }

        return text;
    }

    private static string UpperQueryNames(string path)
    {
        var q = path.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return path;
        }

        var pairs = path[(q + 1)..].Split('&').Select(p => p.Split('=', 2)).Select(kv => kv[0].ToUpperInvariant() + "=" + kv[1]);
        return path[..q] + "?" + string.Join("&", pairs);
    }

    private static JsonNode UpperNames(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    result[name.ToUpperInvariant()] = value is null ? null : UpperNames(value.DeepClone());
                }

                return result;
            case JsonArray array:
                return new JsonArray(array.Select(v => v is null ? null : UpperNames(v.DeepClone())).ToArray());
            default:
                return node.DeepClone();
        }
    }
}

using System.Text.Json;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>Drives every one of the 24 callback types once, inbound and outbound, through the API and the control API.</summary>
public sealed class CallbackFixture : IAsyncLifetime
{
    internal Harness Harness { get; private set; } = null!;
    internal Dictionary<string, string> SentMsgIds { get; } = [];

    public async Task InitializeAsync()
    {
        Harness = await Harness.StartAsync();
        var a = await Harness.LoginAsync("apps-1");
        await Harness.LoginAsync("apps-2");
        var h = Harness;
        var room = (await h.GetAsync($"/gnapi/open/group/list?wxId={a.WxId}")).GetProperty("data").EnumerateArray()
            .First(r => r.GetProperty("is_creator").GetInt32() == 1).GetProperty("conversation_id").GetString()!;
        var members = (await h.GetAsync($"/gnapi/open/group/member/list?wxId={a.WxId}&conversationId={room}")).GetProperty("data").GetProperty("member_list")
            .EnumerateArray().Select(m => m.GetProperty("user_id").GetString()!).Where(id => id.StartsWith("788", StringComparison.Ordinal)).ToList();
        var inbound = $"/emulator/containers/{a.Hostname}/inbound";

        async Task Send(string kind, object body, string type)
        {
            var sent = await h.PostAsync("/gnapi/open/msg/" + kind, body);
            SentMsgIds[type] = sent.GetProperty("data").GetProperty("msgId").GetString()!;
        }

        var conv = a.Conversation;
        await Send("text", new { wxId = a.WxId, conversationId = conv, content = "早晨阳光里!" }, "text_msg");
        await Send("image", new { wxId = a.WxId, conversationId = conv, fileUrl = "http://x.example/a.png" }, "image_msg");
        await Send("video", new { wxId = a.WxId, conversationId = conv, fileUrl = "http://x.example/a.mp4" }, "video_msg");
        await Send("voice", new { wxId = a.WxId, conversationId = conv, fileUrl = "http://x.example/a.aac" }, "voice_msg");
        await Send("file", new { wxId = a.WxId, conversationId = conv, fileUrl = "http://x.example/AItest.txt" }, "file_msg");
        await Send("link", new { wxId = a.WxId, conversationId = conv, title = "光年实验室", desc = "真正的流量增长专家!", url = "https://www.gnlab.com" }, "link_card_msg");
        await Send("gif", new { wxId = a.WxId, conversationId = conv, fileUrl = "http://x.example/a.gif" }, "emoticon_msg");
        await Send("personCard", new { wxId = a.WxId, conversationId = conv, personCardUserId = members[0] }, "person_card_msg");
        await Send("miniProgram", new { wxId = a.WxId, conversationId = conv, username = "gh_7a080f2e543d@app", appid = "wx8f", appname = "雪球基金", appicon = "http://i", title = "Hi", page_path = "pages/x", cover_path = "/gnapi/files/c.png" }, "mini_program_msg");
        await Send("videoNum", new { wxId = a.WxId, conversationId = conv, url = "https://channels.weixin.qq.com/x", nickname = "白鹭洲知政", feed_type = 4 }, "video_num_msg");

        foreach (var type in new[] { "text_msg", "image_msg", "video_msg", "voice_msg", "file_msg", "location_msg", "link_card_msg", "emoticon_msg", "red_packet_msg", "person_card_msg", "mini_program_msg", "video_num_msg" })
        {
            await h.PostAsync(inbound, new { type, conversationId = conv, content = "呼啦" });
        }

        await h.PostAsync(inbound, new { type = "notify_type_contact_add" });
        await h.PostAsync(inbound, new { type = "notify_type_room_create", members = new[] { members[0], members[1] } });
        await h.PostAsync(inbound, new { type = "notify_type_room_add_member", conversationId = room, members = new[] { a.CustomerId } });
        await h.PostAsync(inbound, new { type = "notify_type_room_del_member", conversationId = room, members = new[] { a.CustomerId } });
        await h.PostAsync(inbound, new { type = "notify_type_room_member_quit", conversationId = room });
        await h.PostAsync(inbound, new { type = "room_name_changed", conversationId = room, roomName = "井上拟声" });
        await h.PostAsync(inbound, new { type = "chat_gray_msg", conversationId = conv });
        await h.PostAsync(inbound, new { type = "batch_msg_confirm" });
        await h.PostAsync($"/emulator/containers/{a.Hostname}/safe-validate");
        await h.PostAsync($"/emulator/containers/{a.Hostname}/offline", new { status = 1 });
        await h.Receiver.WaitForTypeAsync("user_offline", a.Hostname);
    }

    public async Task DisposeAsync() => await Harness.DisposeAsync();
}

/// <summary>Each callback example of seed 000: the envelope and the data field names, exactly.</summary>
public sealed class CallbackContractTests(CallbackFixture fixture) : IClassFixture<CallbackFixture>
{
    public static readonly TheoryData<int> SeedRows = new(Enumerable.Range(0, SeedCallback.All.Length));

    [Fact]
    public void The_seed_table_covers_the_24_callback_types()
    {
        Assert.Equal(24, SeedCallback.All.Select(c => c.Type).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(SeedRows))]
    public void Callback_carries_the_seed_envelope_and_data_fields(int row)
    {
        var seed = SeedCallback.All[row];
        var emitted = fixture.Harness.Receiver.OfType(seed.Type).Where(e => Matches(seed, e)).ToList();
        Assert.True(emitted.Count > 0, $"no {seed.Direction} {seed.Type} callback was posted");
        foreach (var callback in emitted)
        {
            Assert.Equal(SeedCallback.EnvelopeFields.Order(StringComparer.Ordinal), callback.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(JsonValueKind.Number, callback.GetProperty("timestamp").ValueKind);
            Assert.True(Guid.TryParse(callback.GetProperty("msgId").GetString(), out _));
            var data = callback.GetProperty("data");
            if (seed.DataFields is null)
            {
                Assert.Equal(JsonValueKind.Null, data.ValueKind);
                continue;
            }

            // Sends through the openAPI carry isOpenApi (the seed says so, though not every example prints it).
            var expected = seed.Direction == SeedDirection.Outbound ? seed.DataFields.Append("isOpenApi").Distinct() : seed.DataFields;
            Assert.Equal(expected.Order(StringComparer.Ordinal), data.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            if (seed.Direction == SeedDirection.Outbound)
            {
                Assert.Equal(1, data.GetProperty("is_pc").GetInt32());
                Assert.Equal(fixture.SentMsgIds[seed.Type], callback.GetProperty("sendMsgId").GetString());
                Assert.Equal(0, data.GetProperty("error_code").GetInt32());
                Assert.True(data.GetProperty("isOpenApi").GetBoolean());
            }
            else if (seed.Direction == SeedDirection.Inbound)
            {
                Assert.Equal(0, data.GetProperty("is_pc").GetInt32());
                Assert.Equal(JsonValueKind.Null, callback.GetProperty("sendMsgId").ValueKind);
            }
        }
    }

    [Fact]
    public void Qr_status_callbacks_have_no_user_before_login_and_others_name_the_account()
    {
        var all = fixture.Harness.Receiver.All;
        foreach (var qr in all.Where(e => e.GetProperty("type").GetString() == "qrcode_status_msg"))
        {
            Assert.Equal(JsonValueKind.Null, qr.GetProperty("userId").ValueKind);
            Assert.Equal("", qr.GetProperty("wxid").GetString());
            Assert.Equal(600, qr.GetProperty("data").GetProperty("keep_sec").GetInt32());
        }

        var login = all.First(e => e.GetProperty("type").GetString() == "user_login");
        Assert.Equal("apps-1", login.GetProperty("userId").GetString());
        Assert.Equal(login.GetProperty("data").GetProperty("user_id").GetString(), login.GetProperty("wxid").GetString());
    }

    [Fact]
    public void Callbacks_are_posted_as_json_to_the_url_with_its_query_string()
    {
        Assert.Equal("t0k3n", fixture.Harness.Receiver.LastQueryToken);
        Assert.StartsWith("application/json", fixture.Harness.Receiver.LastContentType, StringComparison.Ordinal);
    }

    private static bool Matches(SeedCallback seed, JsonElement callback)
    {
        var data = callback.GetProperty("data");
        return seed.Direction switch
        {
            SeedDirection.Outbound => callback.GetProperty("sendMsgId").ValueKind == JsonValueKind.String,
            SeedDirection.Inbound => data.ValueKind == JsonValueKind.Object && data.GetProperty("is_pc").GetInt32() == 0,
            _ => true,
        };
    }
}

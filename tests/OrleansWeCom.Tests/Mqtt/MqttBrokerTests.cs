using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Mqtt;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>The broker against a recording send boundary: connection rules, replies, routing and back-pressure.</summary>
public sealed class MqttBrokerTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Connect_with_a_wrong_api_key_is_refused_as_bad_user_name_or_password(MqttProtocolVersion protocol)
    {
        await using var broker = await FakeMqttBroker.StartAsync();

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await MqttTestClient.RefusedConnectAsync(broker.Port, "not-a-key", protocol: protocol));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await MqttTestClient.RefusedConnectAsync(broker.Port, null, protocol: protocol));
        Assert.Equal(MqttClientConnectResultCode.Success, await MqttTestClient.RefusedConnectAsync(broker.Port, FakeMqttBroker.KeyA, protocol: protocol));
    }

    [Fact]
    public async Task A_text_message_is_answered_with_its_id_and_a_msgId_and_sent_for_the_key_s_tenant()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);

        var reply = await client.SendAsync(MqttTestClient.Text("1234567"));

        Assert.Equal("1234567", reply["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(reply["msgId"]!.GetValue<string>()));
        Assert.Equal(["id", "msgId"], reply.Select(p => p.Key));
        var sent = Assert.Single(broker.Sends.Sends);
        Assert.Equal(FakeMqttBroker.TenantA, sent.Tenant);
        Assert.Equal(SendKind.Text, sent.Kind);
        Assert.Equal("你好啊", sent.Body["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_id_is_the_idempotency_key_so_a_repeated_id_gets_the_same_msgId()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);

        var first = await client.SendAsync(MqttTestClient.Text("dup-1"));
        var again = await client.SendAsync(MqttTestClient.Text("dup-1"));
        var withNumber = MqttTestClient.Text("x");
        withNumber["id"] = 98765;
        var numeric = await client.SendAsync(withNumber);

        Assert.Equal(first["msgId"]!.GetValue<string>(), again["msgId"]!.GetValue<string>());
        Assert.Equal(["dup-1", "dup-1", "98765"], broker.Sends.Sends.Select(s => s.IdempotencyKey));
        Assert.Equal(98765, numeric["id"]!.GetValue<int>());
    }

    public static TheoryData<string, SendKind, string> SeedTypes => new()
    {
        { "text", SendKind.Text, """{"content":"hi"}""" },
        { "image", SendKind.Image, """{"fileUrl":"/gnapi/Files/a.png"}""" },
        { "personCard", SendKind.PersonCard, """{"personCardUserId":"7881301954974667"}""" },
        { "link", SendKind.Link, """{"title":"t","url":"https://example.com","desc":"d"}""" },
        { "file", SendKind.File, """{"fileUrl":"/gnapi/Files/a.txt"}""" },
        { "video", SendKind.Video, """{"fileUrl":"/gnapi/Files/a.mp4"}""" },
        { "miniProgram", SendKind.MiniProgram, """{"username":"gh_1@app","appid":"wx1","title":"t"}""" },
        { "roomAt", SendKind.RoomAt, """{"content":"{$@} hi","atList":["7881301954974667"],"room":true}""" },
        { "gif", SendKind.Gif, """{"fileUrl":"/gnapi/Files/a.gif"}""" },
        { "videoNum", SendKind.VideoNum, """{"url":"https://channels.weixin.qq.com/x"}""" },
    };

    [Theory]
    [MemberData(nameof(SeedTypes))]
    public async Task Each_seed_type_name_is_sent_as_its_kind(string type, SendKind kind, string fields)
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        var message = JsonNode.Parse(fields)!.AsObject();
        var room = message.Remove("room");
        message["wxId"] = "1688850407900545";
        message["conversationId"] = room ? "R:10696051737830314" : "S:1688850407900545_7881301954974667";
        message["type"] = type;
        message["id"] = "t-" + type;

        var reply = await client.SendAsync(message);

        Assert.NotNull(reply["msgId"]);
        Assert.Equal(kind, Assert.Single(broker.Sends.Sends).Kind);
    }

    [Theory]
    [InlineData("""{"wxId":"1688850407900545","content":"x","type":"text","id":"e1"}""", "e1", "conversationId")]
    [InlineData("""{"wxId":"1688850407900545","conversationId":"S:1688850407900545_7881301954974667","type":"text","id":"e2"}""", "e2", "content")]
    [InlineData("""{"wxId":"1688850407900545","conversationId":"S:1688850407900545_7881301954974667","content":"x","type":"sticker","id":"e3"}""", "e3", "type 'sticker' is unknown")]
    [InlineData("""{"wxId":"1688850407900545","conversationId":"S:1688850407900545_7881301954974667","content":"x","id":"e4"}""", "e4", "type is required")]
    [InlineData("""{"wxId":"1688850407900545","conversationId":"S:1688850407900545_7881301954974667","content":"x","type":"text"}""", null, "id is required")]
    [InlineData("""{"type":"text","id":"e6",""", null, "malformed JSON")]
    [InlineData("""[1,2]""", null, "JSON object")]
    public async Task An_invalid_message_is_answered_with_a_code_and_the_reason(string payload, string? id, string reason)
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);

        var ack = await client.PublishAsync(payload);
        var reply = await client.NextReplyAsync();

        Assert.Equal(id, reply["id"]?.GetValue<string>());
        Assert.True(reply.ContainsKey("msgId") && reply["msgId"] is null);
        Assert.Equal(ErrorCodes.BadRequest, reply["code"]!.GetValue<int>());
        Assert.Contains(reason, reply["msg"]!.GetValue<string>());
        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, ack.ReasonCode);
        Assert.Empty(broker.Sends.Sends);
    }

    [Fact]
    public async Task A_refusal_from_the_send_path_keeps_its_code_and_message()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        broker.Sends.Throw = new ApiError(409, ErrorCodes.InvalidState, "account 1688850407900545 is not online");

        var reply = await client.SendAsync(MqttTestClient.Text("offline-1"));

        Assert.Equal(ErrorCodes.InvalidState, reply["code"]!.GetValue<int>());
        Assert.Equal("account 1688850407900545 is not online", reply["msg"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tenant_B_subscribed_to_SendMessageResp_never_sees_tenant_A_s_replies()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var a = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        await using var otherOfA = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        await using var b = await broker.ConnectAsync(FakeMqttBroker.KeyB);

        await a.SendAsync(MqttTestClient.Text("a-1"));
        await a.SendAsync(MqttTestClient.Text("a-2"));

        // Replies are queued per session in order: had A's replies reached B or A's other client, they would come first.
        Assert.Equal("b-1", (await b.SendAsync(MqttTestClient.Text("b-1")))["id"]!.GetValue<string>());
        Assert.Equal("a-3", (await otherOfA.SendAsync(MqttTestClient.Text("a-3")))["id"]!.GetValue<string>());
        Assert.Equal(0, b.PendingReplies);
        Assert.Equal(0, a.PendingReplies);
        Assert.Equal(FakeMqttBroker.TenantB, broker.Sends.Sends.Single(s => s.IdempotencyKey == "b-1").Tenant);
    }

    [Fact]
    public async Task Only_SendMessage_can_be_published_and_neither_it_nor_a_wildcard_subscribed()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var a = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        await using var b = await broker.ConnectAsync(FakeMqttBroker.KeyB);

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await b.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await b.SubscribeAsync(MqttTopics.Send));
        var forward = await a.PublishAsync("""{"id":"spoof","msgId":"X"}""", topic: MqttTopics.Reply);
        var other = await a.PublishAsync("{}", topic: "elsewhere");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forward.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, other.ReasonCode);
        Assert.Equal("b-1", (await b.SendAsync(MqttTestClient.Text("b-1")))["id"]!.GetValue<string>());
        Assert.DoesNotContain(broker.Sends.Sends, s => s.Tenant == FakeMqttBroker.TenantA);
    }

    [Fact]
    public async Task Another_tenant_cannot_take_over_a_connected_client_id()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var a = await broker.ConnectAsync(FakeMqttBroker.KeyA, "shared-id");

        var code = await MqttTestClient.RefusedConnectAsync(broker.Port, FakeMqttBroker.KeyB, "shared-id");

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, code);
        Assert.True(a.IsConnected);
        Assert.NotNull((await a.SendAsync(MqttTestClient.Text("still-mine")))["msgId"]);
    }

    [Fact]
    public async Task A_QoS_1_publish_is_acknowledged_only_after_its_send_is_persisted()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        broker.Sends.Hold();
        var entered = broker.Sends.Entered.Task;

        var publish = client.PublishAsync(MqttTestClient.Text("held-1"));
        await entered.WaitAsync(TimeSpan.FromSeconds(10));
        var early = await Task.WhenAny(publish, Task.Delay(300));
        broker.Sends.Release();
        var ack = await publish.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotSame(publish, early);
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Single(broker.Sends.Sends);
        Assert.Equal("held-1", (await client.NextReplyAsync())["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Publishes_beyond_the_per_client_bound_are_answered_with_queue_full()
    {
        await using var broker = await FakeMqttBroker.StartAsync(o => o.MaxPendingMessagesPerClient = 1);
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        broker.Sends.Hold();
        var entered = broker.Sends.Entered.Task;

        await client.PublishAsync(MqttTestClient.Text("q-1"), MqttQualityOfServiceLevel.AtMostOnce);
        await entered.WaitAsync(TimeSpan.FromSeconds(10));
        await client.PublishAsync(MqttTestClient.Text("q-2"), MqttQualityOfServiceLevel.AtMostOnce);
        await client.PublishAsync(MqttTestClient.Text("q-3"), MqttQualityOfServiceLevel.AtMostOnce);
        var refused = await client.NextReplyAsync();
        broker.Sends.Release();
        var replies = new[] { await client.NextReplyAsync(), await client.NextReplyAsync() };

        Assert.Equal("q-3", refused["id"]!.GetValue<string>());
        Assert.Equal(ErrorCodes.QueueFull, refused["code"]!.GetValue<int>());
        Assert.Equal(["q-1", "q-2"], replies.Select(r => r["id"]!.GetValue<string>()));
        Assert.All(replies, r => Assert.NotNull(r["msgId"]));
        Assert.Equal(["q-1", "q-2"], broker.Sends.Sends.Select(s => s.IdempotencyKey));
    }
}

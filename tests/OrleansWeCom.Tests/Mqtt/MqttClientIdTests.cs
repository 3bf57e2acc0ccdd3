using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OrleansWeCom.Gateway.Mqtt;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>Clients without a client id, and the MQTT 5 response topic: the broker as the protocol and stock clients expect it.</summary>
public sealed class MqttClientIdTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task A_client_with_no_id_and_a_clean_session_is_given_one_and_MQTT_5_is_told_which(MqttProtocolVersion protocol)
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        using var client = new MqttClientFactory().CreateMqttClient();
        var replies = new List<string>();
        client.ApplicationMessageReceivedAsync += e => { lock (replies) replies.Add(e.ApplicationMessage.ConvertPayloadToString()); return Task.CompletedTask; };

        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithClientId("")
            .WithCleanSession().WithCredentials("me", FakeMqttBroker.KeyA).WithProtocolVersion(protocol).WithTimeout(TimeSpan.FromSeconds(10)).Build());
        await client.SubscribeAsync(MqttTopics.Reply, MqttQualityOfServiceLevel.AtLeastOnce);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(MqttTopics.Send)
            .WithPayload(MqttTestClient.Text("no-id-1").ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        if (protocol == MqttProtocolVersion.V500) Assert.StartsWith(MqttClientIds.AssignedPrefix, connected.AssignedClientIdentifier);
        await WaitUntilAsync(() => { lock (replies) return replies.Count == 1; });
        Assert.Equal("no-id-1", JsonNode.Parse(replies[0])!["id"]!.GetValue<string>());
        Assert.Equal(FakeMqttBroker.TenantA, Assert.Single(broker.Sends.Sends).Tenant);
    }

    [Theory]
    [InlineData(4, null)]
    [InlineData(5, (byte)0x85)]
    public async Task An_empty_id_with_a_persistent_session_is_refused(byte level, byte? refused)
    {
        await using var broker = await FakeMqttBroker.StartAsync();

        // MQTT 5: CONNACK reason 0x85 "client identifier not valid". MQTT 3.1.1: MQTTnet's decoder rejects the CONNECT
        // and closes the connection without the CONNACK (return code 2) the protocol asks for; refused all the same.
        Assert.Equal(refused, await RawConnectAsync(broker.Port, level, cleanSession: false));
        Assert.Equal((byte)0, await RawConnectAsync(broker.Port, level, cleanSession: true));
    }

    [Fact]
    public async Task An_MQTT_5_reply_goes_to_the_response_topic_with_the_correlation_data_and_only_to_the_tenant()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        await using var a = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        await using var b = await broker.ConnectAsync(FakeMqttBroker.KeyB);
        var onA = await SubscribeRawAsync(broker.Port, FakeMqttBroker.KeyA, "app/replies");
        var onB = await SubscribeRawAsync(broker.Port, FakeMqttBroker.KeyB, "app/replies");

        await a.PublishRawAsync(new MqttApplicationMessageBuilder().WithTopic(MqttTopics.Send).WithPayload(MqttTestClient.Text("rt-1").ToJsonString())
            .WithResponseTopic("app/replies").WithCorrelationData([7, 7, 7]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var wildcard = await a.PublishRawAsync(new MqttApplicationMessageBuilder().WithTopic(MqttTopics.Send).WithPayload(MqttTestClient.Text("rt-2").ToJsonString())
            .WithResponseTopic("app/#").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());

        var reply = await onA.Messages.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.Equal("app/replies", reply.Topic);
        Assert.Equal([7, 7, 7], reply.CorrelationData);
        Assert.Equal("rt-1", JsonNode.Parse(reply.ConvertPayloadToString())!["id"]!.GetValue<string>());
        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, wildcard.ReasonCode);
        var refusal = await a.NextReplyAsync();
        Assert.Equal(("rt-2", ErrorCodes.BadRequest), (refusal["id"]!.GetValue<string>(), refusal["code"]!.GetValue<int>()));
        // B's reply to its own send is the first and only thing B's listener sees.
        await b.PublishRawAsync(new MqttApplicationMessageBuilder().WithTopic(MqttTopics.Send).WithPayload(MqttTestClient.Text("rt-b").ToJsonString())
            .WithResponseTopic("app/replies").Build());
        var ofB = await onB.Messages.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.Equal("rt-b", JsonNode.Parse(ofB.ConvertPayloadToString())!["id"]!.GetValue<string>());
        Assert.Equal(0, onA.Messages.Reader.Count + onB.Messages.Reader.Count);
        // Replies that went to the response topic did not also come on SendMessageResp.
        Assert.Equal(0, a.PendingReplies + b.PendingReplies);
    }

    [Fact]
    public async Task A_client_subscribes_at_most_its_bound_of_topics()
    {
        await using var broker = await FakeMqttBroker.StartAsync(o => o.MaxSubscriptionsPerClient = 2);
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);

        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync("replies/1"));
        Assert.Equal(MqttClientSubscribeResultCode.QuotaExceeded, await client.SubscribeAsync("replies/2"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync(MqttTopics.Reply));
    }

    /// <summary>Sends a hand-made CONNECT with an empty client id; returns the CONNACK's return or reason code, null if none came.</summary>
    private static async Task<byte?> RawConnectAsync(int port, byte level, bool cleanSession)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        var body = new List<byte> { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', level, (byte)(0xC0 | (cleanSession ? 0x02 : 0)), 0, 60 };
        if (level == 5) body.Add(0); // no properties
        body.AddRange([0, 0]); // the empty client id
        foreach (var text in new[] { "me", FakeMqttBroker.KeyA })
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            body.AddRange([(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes]);
        }

        await stream.WriteAsync((byte[])[0x10, (byte)body.Count, .. body]);
        var header = new byte[4];
        var read = await stream.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        if (read == 0) return null;
        Assert.True(read == 4 && header[0] == 0x20, $"not a CONNACK: {Convert.ToHexString(header, 0, read)}");
        return header[3];
    }

    /// <summary>Another connection of the tenant under the user name <see cref="MqttTestClient"/> uses, listening on <paramref name="topic"/>.</summary>
    private static async Task<Listener> SubscribeRawAsync(int port, string key, string topic)
    {
        var listener = new Listener(new MqttClientFactory().CreateMqttClient());
        await listener.Client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("listener-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials("anyone", key).WithProtocolVersion(MqttProtocolVersion.V500).Build());
        var result = await listener.Client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, result.Items.Single().ResultCode);
        return listener;
    }

    private sealed class Listener
    {
        public Listener(IMqttClient client)
        {
            Client = client;
            client.ApplicationMessageReceivedAsync += e => { Messages.Writer.TryWrite(e.ApplicationMessage); return Task.CompletedTask; };
        }

        public IMqttClient Client { get; }
        public System.Threading.Channels.Channel<MqttApplicationMessage> Messages { get; } = System.Threading.Channels.Channel.CreateUnbounded<MqttApplicationMessage>();
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using OrleansWeCom.Gateway.Mqtt;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>A seed-000 MQTT client over loopback: connects with an API key, subscribes SendMessageResp, collects replies.</summary>
public sealed class MqttTestClient : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly Channel<JsonObject> _replies = Channel.CreateUnbounded<JsonObject>();

    private MqttTestClient(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            if (e.ApplicationMessage.Topic == MqttTopics.Reply)
                _replies.Writer.TryWrite(JsonNode.Parse(e.ApplicationMessage.ConvertPayloadToString())!.AsObject());
            return Task.CompletedTask;
        };
    }

    public static int FreePort() => OrleansWeCom.Testing.TestPorts.Next();

    /// <summary>Connects and subscribes; throws when the broker refuses the connection.</summary>
    public static async Task<MqttTestClient> ConnectAsync(int port, string? apiKey, string? clientId = null,
        MqttProtocolVersion protocol = MqttProtocolVersion.V500, bool subscribe = true)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var test = new MqttTestClient(client);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId ?? "client-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials("anyone", apiKey)
            .WithProtocolVersion(protocol)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        await client.ConnectAsync(options);
        if (subscribe) await test.SubscribeAsync(MqttTopics.Reply);
        return test;
    }

    /// <summary>Connects expecting a refusal; returns the CONNACK's result code.</summary>
    public static async Task<MqttClientConnectResultCode> RefusedConnectAsync(int port, string? apiKey, string? clientId = null,
        MqttProtocolVersion protocol = MqttProtocolVersion.V500)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId ?? "client-" + Guid.NewGuid().ToString("N")[..8])
            .WithCredentials("anyone", apiKey)
            .WithProtocolVersion(protocol)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var result = await client.ConnectAsync(options);
        return result.ResultCode;
    }

    public bool IsConnected => _client.IsConnected;

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string topic)
    {
        var result = await _client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        return result.Items.Single().ResultCode;
    }

    public Task<MqttClientPublishResult> PublishAsync(string json, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce,
        string topic = MqttTopics.Send) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(json)).WithQualityOfServiceLevel(qos).Build());

    public Task<MqttClientPublishResult> PublishRawAsync(MqttApplicationMessage message) => _client.PublishAsync(message);

    public Task<MqttClientPublishResult> PublishAsync(JsonObject message, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        PublishAsync(message.ToJsonString(), qos);

    public async Task<JsonObject> NextReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _replies.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Publishes and waits for the reply that carries this message's id, failing on any other reply first.</summary>
    public async Task<JsonObject> SendAsync(JsonObject message, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        await PublishAsync(message, qos);
        var reply = await NextReplyAsync();
        Assert.Equal(message["id"]?.ToJsonString(), reply["id"]?.ToJsonString());
        return reply;
    }

    public int PendingReplies => _replies.Reader.Count;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected) await _client.DisconnectAsync();
        _client.Dispose();
    }

    public static JsonObject Text(string id, string wxId = "1688850407900545", string content = "你好啊") => new()
    {
        ["wxId"] = wxId,
        ["conversationId"] = $"S:{wxId}_7881301954974667",
        ["content"] = content,
        ["type"] = "text",
        ["id"] = id,
    };
}

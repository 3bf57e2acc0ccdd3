using OrleansWeCom.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Host.Hosting;
using System.Text.Json.Nodes;
using MQTTnet;
using OrleansWeCom.Gateway.Mqtt;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>
/// The broker wired as the host wires it (<c>AddWeComSilo</c> + <c>AddWeComGateway</c>) with the real account grain
/// and outbox on SQLite: API keys from the tenant grains, sends through <c>SendService</c>.
/// </summary>
public sealed class MqttSendPathTests : IAsyncLifetime
{
    private const string WxIdA = "1688850407900545";
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"wecom-mqtt-{Guid.NewGuid():N}.db");
    private readonly int _mqttPort = MqttTestClient.FreePort();
    private IHost _host = null!;
    private string _keyA = "";
    private string _keyB = "";

    private IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var config = OrleansWeCom.Testing.TestSettings.For(_database, "mqtt").WithoutDashboard();
        config["Mqtt:Enabled"] = "true";
        config["Mqtt:Port"] = _mqttPort.ToString();
        config["Gateway:Quotas:Tenants:tenant-slow:RequestsPerSecond"] = "2";
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddWeComSilo();
        builder.AddWeComGateway();
        builder.Services.AddSingleton<IContainerHostSender, NeverEchoingHost>();
        builder.Services.AddSingleton<ITenantEventPublisher, DiscardingPublisher>();
        _host = builder.Build();
        await _host.StartAsync();

        _keyA = await TenantKeyAsync("tenant-a");
        _keyB = await TenantKeyAsync("tenant-b");
        await Grains.GetGrain<IAccountGrain>(WxIdA).BindAsync(new AccountBinding(new HostName("apps-a"), "host-a", new TenantId("tenant-a"), "u-a",
            ContainerStatus.Online, new CorpId("1970325134026788")));
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        OrleansWeCom.Testing.TestSettings.DeleteDatabase(_database);
    }

    [Fact]
    public async Task Publishes_count_against_the_tenants_request_rate_and_are_answered_429_past_it()
    {
        const string wxId = "1688850407900546";
        var key = await TenantKeyAsync("tenant-slow");
        await Grains.GetGrain<IAccountGrain>(wxId).BindAsync(new AccountBinding(new HostName("apps-slow"), "host-a", new TenantId("tenant-slow"), "u-s",
            ContainerStatus.Online, new CorpId("1970325134026788")));
        await using var client = await MqttTestClient.ConnectAsync(_mqttPort, key);

        // Two a second: six publishes in a burst span at most two windows, so at least two are refused.
        var replies = new List<JsonObject>();
        for (var i = 0; i < 6; i++) replies.Add(await client.SendAsync(MqttTestClient.Text($"rate-{i:D8}", wxId)));
        var refused = replies.Where(r => r["code"]?.GetValue<int>() == ErrorCodes.QueueFull).ToList();
        Assert.True(refused.Count >= 2, string.Join(" | ", replies.Select(r => r.ToJsonString())));
        Assert.All(refused, r => Assert.Contains("too many requests", r["msg"]!.GetValue<string>()));
        Assert.All(refused, r => Assert.Null(r["msgId"]));
        Assert.Contains(replies, r => r["msgId"] is not null);
        // Another tenant's publishes are not held back.
        await using var other = await MqttTestClient.ConnectAsync(_mqttPort, _keyA);
        Assert.NotNull((await other.SendAsync(MqttTestClient.Text("rate-other01")))["msgId"]);
    }

    [Fact]
    public async Task A_repeated_id_gets_the_same_msgId_and_one_outbox_row()
    {
        await using var client = await MqttTestClient.ConnectAsync(_mqttPort, _keyA);

        var first = await client.SendAsync(MqttTestClient.Text("seed-1234567"));
        var again = await client.SendAsync(MqttTestClient.Text("seed-1234567"));
        // The same id with another text is a new send under a used id: refused, not silently answered with the first.
        var changed = await client.SendAsync(MqttTestClient.Text("seed-1234567", content: "sent twice?"));
        var other = await client.SendAsync(MqttTestClient.Text("seed-7654321"));

        var msgId = first["msgId"]!.GetValue<string>();
        Assert.Equal(msgId, again["msgId"]!.GetValue<string>());
        Assert.Null(changed["msgId"]);
        Assert.Equal(ErrorCodes.IdempotencyKeyReused, changed["code"]!.GetValue<int>());
        Assert.NotEqual(msgId, other["msgId"]!.GetValue<string>());
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM wecom_outbox WHERE idempotency_key = 'seed-1234567'"));
        var row = await _host.Services.GetRequiredService<IOutboxQueries>().FindAsync(msgId);
        Assert.Equal(new TenantId("tenant-a"), row!.Value.Tenant);
        Assert.Equal(SendKind.Text, row.Value.Status.Kind);
    }

    [Fact]
    public async Task The_PUBACK_of_a_QoS_1_send_comes_after_its_outbox_row_is_written()
    {
        await using var client = await MqttTestClient.ConnectAsync(_mqttPort, _keyA);

        var ack = await client.PublishAsync(MqttTestClient.Text("acked-1"));

        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Equal(1L, await ScalarAsync("SELECT COUNT(*) FROM wecom_outbox WHERE idempotency_key = 'acked-1'"));
        Assert.NotNull((await client.NextReplyAsync())["msgId"]);
    }

    [Fact]
    public async Task Another_tenant_s_key_cannot_send_for_the_account_and_a_wrong_key_cannot_connect()
    {
        await using var b = await MqttTestClient.ConnectAsync(_mqttPort, _keyB);

        var reply = await b.SendAsync(MqttTestClient.Text("b-for-a"));

        Assert.Equal(ErrorCodes.NotFound, reply["code"]!.GetValue<int>());
        Assert.Contains("not found", reply["msg"]!.GetValue<string>());
        Assert.Equal(0L, await ScalarAsync("SELECT COUNT(*) FROM wecom_outbox WHERE idempotency_key = 'b-for-a'"));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await MqttTestClient.RefusedConnectAsync(_mqttPort, _keyA + "x"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    public async Task The_stock_clients_default_invocation_sends_and_gets_SendMessageResp(string qos)
    {
        await using var subscriber = await MosquittoSubscriber.StartAsync(_mqttPort, _keyA, MqttTopics.Reply);
        var id = $"stock-qos{qos}";

        var (exit, output) = await Mosquitto.PublishAsync(_mqttPort, _keyA, "-t", MqttTopics.Send, "-q", qos, "-m", MqttTestClient.Text(id).ToJsonString());

        Assert.True(exit == 0, output);
        var reply = JsonNode.Parse(await subscriber.MessageOnAsync(MqttTopics.Reply))!.AsObject();
        Assert.Equal(id, reply["id"]!.GetValue<string>());
        var row = await _host.Services.GetRequiredService<IOutboxQueries>().FindAsync(reply["msgId"]!.GetValue<string>());
        Assert.Equal(new TenantId("tenant-a"), row!.Value.Tenant);
        Assert.Equal(1L, await ScalarAsync($"SELECT COUNT(*) FROM wecom_outbox WHERE idempotency_key = '{id}'"));
    }

    [Fact]
    public async Task An_MQTT_5_stock_client_gets_its_reply_on_the_response_topic_it_names()
    {
        const string topic = "stock/replies";
        await using var subscriber = await MosquittoSubscriber.StartAsync(_mqttPort, _keyA, topic, "-V", "mqttv5");
        await using var otherTenant = await MosquittoSubscriber.StartAsync(_mqttPort, _keyB, topic, "-V", "mqttv5");

        var (exit, output) = await Mosquitto.PublishAsync(_mqttPort, _keyA, "-V", "mqttv5", "-t", MqttTopics.Send, "-q", "1",
            "-D", "publish", "response-topic", topic, "-D", "publish", "correlation-data", "c-1", "-m", MqttTestClient.Text("stock-v5").ToJsonString());

        Assert.True(exit == 0, output);
        var reply = JsonNode.Parse(await subscriber.MessageOnAsync(topic))!.AsObject();
        Assert.Equal("stock-v5", reply["id"]!.GetValue<string>());
        Assert.NotNull(reply["msgId"]);
        // The reply came; had it gone to the other tenant too, it would be there by now.
        await Assert.ThrowsAsync<TimeoutException>(() => otherTenant.MessageOnAsync(topic, TimeSpan.FromSeconds(1)));
    }

    private async Task<string> TenantKeyAsync(string tenant)
    {
        await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync(tenant);
        return await Grains.GetGrain<ITenantGrain>(tenant).IssueApiKeyAsync(null);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(StorageDatabases.ConnectionString(new StorageOptions { ConnectionString = $"Data Source={_database}" }, StorageComponent.Outbox));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A host that takes every send and never echoes: rows stay in the outbox for the test to see.</summary>
    private sealed class NeverEchoingHost : IContainerHostSender
    {
        public ConcurrentQueue<string> Bodies { get; } = new();

        public Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
        {
            Bodies.Enqueue(bodyJson);
            return Task.FromResult(Guid.NewGuid().ToString());
        }
    }

    private sealed class DiscardingPublisher : ITenantEventPublisher
    {
        public Task PublishAsync(TenantEvent tenantEvent) => Task.CompletedTask;
    }
}

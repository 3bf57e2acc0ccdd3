using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.Client;
using OrleansWeCom.Tests.Infrastructure;
using OrleansWeCom.Tests.Mqtt;

namespace OrleansWeCom.Tests.Client;

/// <summary>
/// One validation: the same refused send gets the same code and message over HTTP, over MQTT and from the cluster
/// client's facade, including the grain's refusals (another tenant's account, an account not online).
/// </summary>
public sealed class SendValidationParityTests(SendValidationParityTests.Fixture host) : IClassFixture<SendValidationParityTests.Fixture>
{
    private const string Online = "1688850407900545";
    private const string Offline = "1688850407900546";
    private const string OtherTenants = "1688850407900547";

    /// <summary>One silo with the gateway and the MQTT broker for every case; tenant-a has an online and an offline account.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public ParityHost Host { get; private set; } = null!;
        public HttpClient Http { get; private set; } = null!;
        public string Key { get; private set; } = "";

        public async Task InitializeAsync()
        {
            Host = await ParityHost.StartAsync();
            Http = await Host.TenantClientAsync("tenant-a");
            Key = Http.DefaultRequestHeaders.GetValues("apikey").Single();
            await Host.TenantClientAsync("tenant-b");
            await Bind(Online, "tenant-a", ContainerStatus.Online);
            await Bind(Offline, "tenant-a", ContainerStatus.Offline);
            await Bind(OtherTenants, "tenant-b", ContainerStatus.Online);
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await Host.DisposeAsync();
            SqliteConnection.ClearAllPools();
            OrleansWeCom.Testing.TestSettings.DeleteDatabase(Host.DatabaseFile);
        }

        private Task Bind(string wxId, string tenant, ContainerStatus status) =>
            Host.Grains.GetGrain<IAccountGrain>(wxId).BindAsync(new AccountBinding(new HostName("apps-" + wxId[^3..]), "stand-in",
                new TenantId(tenant), "u", status, new CorpId("1970325134026788")));
    }

    /// <summary>(kind, body) pairs each edge must refuse; the MQTT type is the kind's seed name.</summary>
    public static TheoryData<string, string> Refused() => new()
    {
        { "text", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001"}""" },
        { "text", $$"""{"wxId":"abc","conversationId":"S:1_2","content":"hi"}""" },
        { "text", $$"""{"wxId":"{{Online}}","conversationId":"X:1","content":"hi"}""" },
        { "text", $$"""{"wxId":"{{Online}}","WXID":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","content":"hi"}""" },
        { "text", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","content":[1]}""" },
        { "roomAt", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","content":"hi","atList":["0"]}""" },
        { "roomAt", $$"""{"wxId":"{{Online}}","conversationId":"R:10696052955016166","content":"{$@} {$@}","atList":["0"]}""" },
        { "image", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","fileUrl":"ftp://example.com/a.png"}""" },
        { "personCard", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001"}""" },
        { "link", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","title":"t"}""" },
        { "miniProgram", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","username":"u","title":"t"}""" },
        { "quote", $$"""{"wxId":"{{Online}}","conversationId":"S:{{Online}}_7881300000000001","content":"c"}""" },
        { "text", $$"""{"wxId":"{{OtherTenants}}","conversationId":"S:{{OtherTenants}}_7881300000000001","content":"hi"}""" },
        { "text", $$"""{"wxId":"{{Offline}}","conversationId":"S:{{Offline}}_7881300000000001","content":"hi"}""" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Http_mqtt_and_the_client_refuse_a_send_with_the_same_code_and_message(string type, string body)
    {
        Assert.True(SendKinds.TryParseMqttType(type, out var kind));

        using var response = await host.Http.PostAsync("/gnapi/open/" + kind.Path(), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        var http = (envelope.GetProperty("code").GetInt32(), envelope.GetProperty("msg").GetString());

        await using var mqttClient = await MqttTestClient.ConnectAsync(host.Host.MqttPort, host.Key);
        var publish = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions())!.AsObject();
        var payload = body.TrimEnd().TrimEnd('}') + $$""","type":"{{type}}","id":"{{Guid.NewGuid():N}}"}""";
        await mqttClient.PublishAsync(payload);
        var reply = await mqttClient.NextReplyAsync();
        var mqtt = (reply["code"]!.GetValue<int>(), reply["msg"]!.GetValue<string>());

        var facade = new WeComClient(host.Host.Services.GetRequiredService<IClusterClient>(), Options.Create(new WeComClientOptions())).ForTenant(new TenantId("tenant-a"));
        var refused = await Assert.ThrowsAsync<WeComException>(() => facade.SendAsync(kind, publish));
        var client = (refused.Code, refused.Message);

        Assert.NotEqual(ErrorCodes.Ok, http.Item1);
        Assert.Equal(http, mqtt);
        Assert.Equal(http, client);
        Assert.False(response.IsSuccessStatusCode);
        Assert.Equal(ApiErrorStatus(http.Item1), (int)response.StatusCode);
    }

    [Fact]
    public async Task A_bulk_send_answers_each_item_and_a_repeat_answers_the_first_msgIds()
    {
        var facade = new WeComClient(host.Host.Services.GetRequiredService<IClusterClient>(), Options.Create(new WeComClientOptions { MaxBulkItems = 5 }))
            .ForTenant(new TenantId("tenant-a"));
        var to = $"S:{Online}_7881300000000001";
        var run = Guid.NewGuid().ToString("N");
        BulkSend[] items =
        [
            BulkSend.Text(new WxId(Online), to, "one", run + "-1"),
            BulkSend.Text(new WxId(Offline), $"S:{Offline}_7881300000000001", "offline", run + "-2"),
            BulkSend.Text(new WxId(OtherTenants), $"S:{OtherTenants}_7881300000000001", "not ours", run + "-3"),
            BulkSend.Text(new WxId(Online), to, "same key twice", run + "-1"),
            BulkSend.Text(new WxId(Online), to, "two", run + "-5"),
        ];

        var first = await facade.SendManyAsync(items);
        Assert.Equal([ErrorCodes.Ok, ErrorCodes.InvalidState, ErrorCodes.NotFound, ErrorCodes.BadRequest, ErrorCodes.Ok], first.Select(r => r.Code));
        Assert.Equal(Enumerable.Range(0, 5), first.Select(r => r.Index));

        var again = await facade.SendManyAsync(items);
        Assert.Equal(first.Select(r => (r.Code, r.MsgId)), again.Select(r => (r.Code, r.MsgId)));
        // The key is the tenant's: the same key with another text is refused, not answered with the first msgId.
        var changed = await facade.SendManyAsync([BulkSend.Text(new WxId(Online), to, "another text", run + "-1")]);
        Assert.Equal(ErrorCodes.IdempotencyKeyReused, Assert.Single(changed).Code);

        var tooMany = await Assert.ThrowsAsync<WeComException>(() => facade.SendManyAsync([.. items, .. items]));
        Assert.Equal(ErrorCodes.PayloadTooLarge, tooMany.Code);
    }

    private static int ApiErrorStatus(int code) => OrleansWeCom.Gateway.Http.ApiError.StatusFor(code);

    public sealed class ParityHost : WeComTestApp
    {
        private ParityHost(WebApplication app, string databaseFile, int mqttPort) : base(app, databaseFile) => MqttPort = mqttPort;

        public int MqttPort { get; }

        public static async Task<ParityHost> StartAsync()
        {
            var databaseFile = Path.Combine(Path.GetTempPath(), $"wecom-parity-{Guid.NewGuid():N}.db");
            var settings = OrleansWeCom.Testing.TestSettings.For(databaseFile, "parity");
            var mqttPort = OrleansWeCom.Testing.TestPorts.Next();
            settings["Mqtt:Enabled"] = "true";
            settings["Mqtt:Port"] = mqttPort.ToString();
            var app = await StartAppAsync(settings, _ => { });
            return new ParityHost(app, databaseFile, mqttPort);
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using System.Net;
using OrleansWeCom.Gateway.Sending;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 3: an idempotency key answers the same msgId for the same request, and never a 500.</summary>
public sealed class IdempotencyKeyTests
{
    private const string W1 = "1688854355260001";
    private const string W2 = "1688854355260002";

    private static async Task<(CallbackTestHost Host, HttpClient Tenant)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var host = await CallbackTestHost.StartAsync(settings: settings);
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W1);
        await LoginAsync(host, "t1", "c-2", W2);
        return (host, tenant);
    }

    private static string MsgId((HttpStatusCode Status, System.Text.Json.JsonElement Body) answer)
    {
        Assert.True(answer.Status == HttpStatusCode.OK, $"{answer.Status}: {answer.Body}");
        return answer.Body.GetProperty("data").GetProperty("msgId").GetString()!;
    }

    [Fact]
    public async Task Finding3_a_key_reused_after_its_first_day_answers_the_original_msgId_not_500()
    {
        var (host, tenant) = await StartAsync();
        await using var _ = host;
        // A send accepted two days ago under the key (outbox rows are kept seven days).
        var body = Text(W1, "hello");
        var parsed = SendRequestParser.Parse(SendKind.Text, System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body))!.AsObject());
        var twoDaysAgo = DateTimeOffset.UtcNow.AddDays(-2);
        var original = new OutboxRow(Guid.NewGuid().ToString(), "t1", W1, 0, SendKind.Text, parsed.Message.ConversationId.Value, parsed.Message.BodyJson,
            SendState.Sent, 1, twoDaysAgo, twoDaysAgo, twoDaysAgo, null, "host-1", 0, null, "key-old");
        await host.Services.GetRequiredService<OutboxStore>().InsertAsync(original);

        Assert.Equal(original.MsgId, MsgId(await PostAsync(tenant, "msg/text", body, "key-old")));
    }

    [Fact]
    public async Task Finding3_a_key_reused_with_a_different_body_answers_422_and_sends_nothing()
    {
        var (host, tenant) = await StartAsync();
        await using var _ = host;
        var first = MsgId(await PostAsync(tenant, "msg/text", Text(W1, "first"), "key-1"));
        Assert.Equal(first, MsgId(await PostAsync(tenant, "msg/text", Text(W1, "first"), "key-1")));

        var (status, error) = await PostAsync(tenant, "msg/text", Text(W1, "second, a different text"), "key-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(ErrorCodes.IdempotencyKeyReused, error.GetProperty("code").GetInt32());
        Assert.Contains("Idempotency-Key", error.GetProperty("msg").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, error.GetProperty("data").ValueKind);
    }

    [Fact]
    public async Task Finding3_a_key_belongs_to_the_tenant_not_to_one_account()
    {
        var (host, tenant) = await StartAsync();
        await using var _ = host;
        MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-shared"));
        var (status, error) = await PostAsync(tenant, "msg/text", Text(W2, "hello"), "key-shared");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(ErrorCodes.IdempotencyKeyReused, error.GetProperty("code").GetInt32());

        // Another tenant's key of the same name is its own.
        var other = await TenantAsync(host, "t2");
        await LoginAsync(host, "t2", "c-3", "1688854355260003");
        MsgId(await PostAsync(other, "msg/text", Text("1688854355260003", "hello"), "key-shared"));
    }

    [Fact]
    public async Task Finding3_an_offline_account_answers_the_original_msgId_for_a_key_it_accepted()
    {
        var (host, tenant) = await StartAsync();
        await using var _ = host;
        var first = MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-1"));
        await host.Grains.GetGrain<IContainerGrain>("c-1").ApplyAsync(new LifecycleSignal.UserOffline(), DateTimeOffset.UtcNow);
        Assert.Equal(first, MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-1")));
        // A new key on an offline account is still refused as not online.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-2")).Status);
    }

    [Fact]
    public async Task Finding3_the_key_map_is_bounded_and_a_key_it_forgot_still_answers()
    {
        var (host, tenant) = await StartAsync(new Dictionary<string, string?> { ["WeCom:Limits:IdempotencyCacheSize"] = "2" });
        await using var _ = host;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(MsgId(await PostAsync(tenant, "msg/text", Text(W1, $"m{i}"), $"key-{i}")));
        for (var i = 0; i < 5; i++) Assert.Equal(ids[i], MsgId(await PostAsync(tenant, "msg/text", Text(W1, $"m{i}"), $"key-{i}")));
    }

    [Fact]
    public async Task Finding3_a_retry_on_a_full_queue_answers_the_original_msgId()
    {
        var (host, tenant) = await StartAsync(new Dictionary<string, string?>
        {
            ["WeCom:Limits:IdempotencyCacheSize"] = "0",
            ["WeCom:Limits:MaxQueuedPerAccount"] = "1",
            ["WeCom:Limits:AccountSendInterval"] = "00:00:30",
        });
        await using var _ = host;
        MsgId(await PostAsync(tenant, "msg/text", Text(W1, "goes out at once"), "key-0"));
        var queued = MsgId(await PostAsync(tenant, "msg/text", Text(W1, "waits its turn"), "key-1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(tenant, "msg/text", Text(W1, "no room"), "key-2")).Status);
        Assert.Equal(queued, MsgId(await PostAsync(tenant, "msg/text", Text(W1, "waits its turn"), "key-1")));
    }

    [Fact]
    public void Finding3_the_key_cache_keeps_only_the_most_recent_keys()
    {
        var cache = new OrleansWeCom.Grains.Sending.IdempotencyCache(3);
        for (var i = 0; i < 10; i++) cache.Remember($"k{i}", new("m" + i, W1, SendKind.Text, "h"));
        Assert.Equal(3, cache.Count);
        Assert.Null(cache.Find("k6"));
        Assert.Equal("m9", cache.Find("k9")!.MsgId);
        cache.Remember("k7", new("m7", W1, SendKind.Text, "h"));
        cache.Remember("k10", new("m10", W1, SendKind.Text, "h"));
        Assert.Equal("m7", cache.Find("k7")!.MsgId);
        Assert.Null(cache.Find("k8"));
    }
}

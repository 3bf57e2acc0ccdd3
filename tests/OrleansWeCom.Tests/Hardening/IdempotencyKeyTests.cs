using Microsoft.Extensions.DependencyInjection;
using System.Net;
using OrleansWeCom.Gateway.Sending;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 3: an idempotency key answers the same msgId for the same request, and never a 500.</summary>
public sealed class IdempotencyKeyTests : IClassFixture<IdempotencyKeyTests.Running>
{
    /// <summary>One host for the tests on default settings; each test has a tenant and accounts of its own.</summary>
    public sealed class Running : IAsyncLifetime
    {
        private int _tests;

        internal CallbackTestHost Host { get; private set; } = null!;

        internal int Next() => Interlocked.Increment(ref _tests);

        public async Task InitializeAsync() => Host = await CallbackTestHost.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private readonly Running _running;
    private readonly string T1, T2, W1, W2, W3;

    public IdempotencyKeyTests(Running running)
    {
        _running = running;
        var n = running.Next();
        (T1, T2) = ($"t{n}-a", $"t{n}-b");
        (W1, W2, W3) = ($"1688854355{3 * n:D6}", $"1688854355{3 * n + 1:D6}", $"1688854355{3 * n + 2:D6}");
    }

    /// <summary>The class's host, or one of its own when a test needs other settings; the caller disposes only its own.</summary>
    private async Task<(CallbackTestHost Host, HttpClient Tenant, IAsyncDisposable Owned)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var host = settings is null ? _running.Host : await CallbackTestHost.StartAsync(settings: settings);
        var tenant = await TenantAsync(host, T1);
        await LoginAsync(host, T1, $"c-{W1}", W1);
        await LoginAsync(host, T1, $"c-{W2}", W2);
        return (host, tenant, settings is null ? NotOwned.Instance : host);
    }

    private sealed class NotOwned : IAsyncDisposable
    {
        public static readonly NotOwned Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static string MsgId((HttpStatusCode Status, System.Text.Json.JsonElement Body) answer)
    {
        Assert.True(answer.Status == HttpStatusCode.OK, $"{answer.Status}: {answer.Body}");
        return answer.Body.GetProperty("data").GetProperty("msgId").GetString()!;
    }

    [Fact]
    public async Task Finding3_a_key_reused_after_its_first_day_answers_the_original_msgId_not_500()
    {
        var (host, tenant, owned) = await StartAsync();
        await using var _ = owned;
        // A send accepted two days ago under the key (outbox rows are kept seven days).
        var body = Text(W1, "hello");
        var parsed = SendRequestParser.Parse(SendKind.Text, System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body))!.AsObject());
        var twoDaysAgo = DateTimeOffset.UtcNow.AddDays(-2);
        var original = new OutboxRow(Guid.NewGuid().ToString(), T1, W1, 0, SendKind.Text, parsed.Message.ConversationId.Value, parsed.Message.BodyJson,
            SendState.Sent, 1, twoDaysAgo, twoDaysAgo, twoDaysAgo, null, "host-1", 0, null, "key-old");
        await host.Services.GetRequiredService<OutboxStore>().InsertAsync(original);

        Assert.Equal(original.MsgId, MsgId(await PostAsync(tenant, "msg/text", body, "key-old")));
    }

    [Fact]
    public async Task Finding3_a_key_reused_with_a_different_body_answers_422_and_sends_nothing()
    {
        var (host, tenant, owned) = await StartAsync();
        await using var _ = owned;
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
        var (host, tenant, owned) = await StartAsync();
        await using var _ = owned;
        MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-shared"));
        var (status, error) = await PostAsync(tenant, "msg/text", Text(W2, "hello"), "key-shared");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(ErrorCodes.IdempotencyKeyReused, error.GetProperty("code").GetInt32());

        // Another tenant's key of the same name is its own.
        var other = await TenantAsync(host, T2);
        await LoginAsync(host, T2, $"c-{W3}", W3);
        MsgId(await PostAsync(other, "msg/text", Text(W3, "hello"), "key-shared"));
    }

    [Fact]
    public async Task Finding3_an_offline_account_answers_the_original_msgId_for_a_key_it_accepted()
    {
        var (host, tenant, owned) = await StartAsync();
        await using var _ = owned;
        var first = MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-1"));
        await host.Grains.GetGrain<IContainerGrain>($"c-{W1}").ApplyAsync(new LifecycleSignal.UserOffline(), DateTimeOffset.UtcNow);
        Assert.Equal(first, MsgId(await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-1")));
        // A new key on an offline account is still refused as not online.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(tenant, "msg/text", Text(W1, "hello"), "key-2")).Status);
    }

    [Fact]
    public async Task Finding3_the_key_map_is_bounded_and_a_key_it_forgot_still_answers()
    {
        var (host, tenant, owned) = await StartAsync(new Dictionary<string, string?> { ["WeCom:Limits:IdempotencyCacheSize"] = "2" });
        await using var _ = owned;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(MsgId(await PostAsync(tenant, "msg/text", Text(W1, $"m{i}"), $"key-{i}")));
        for (var i = 0; i < 5; i++) Assert.Equal(ids[i], MsgId(await PostAsync(tenant, "msg/text", Text(W1, $"m{i}"), $"key-{i}")));
    }

    [Fact]
    public async Task Finding3_a_retry_on_a_full_queue_answers_the_original_msgId()
    {
        var (host, tenant, owned) = await StartAsync(new Dictionary<string, string?>
        {
            ["WeCom:Limits:IdempotencyCacheSize"] = "0",
            ["WeCom:Limits:MaxQueuedPerAccount"] = "1",
            ["WeCom:Limits:AccountSendInterval"] = "00:00:30",
        });
        await using var _ = owned;
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

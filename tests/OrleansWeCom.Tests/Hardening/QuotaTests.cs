using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 9: what a tenant (or a guesser) can make the cluster activate and do is bounded, and answered 429.</summary>
public sealed class QuotaTests
{
    private const string W = "1688854355260001";

    private sealed class Monitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue { get; } = value;
        public T Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    private static long Calls(CallbackTestHost host) => host.Services.GetRequiredService<GrainCallCounter>().Calls;

    [Fact]
    public void Finding9_a_tenants_requests_per_second_are_limited_and_refilled_on_time()
    {
        var time = new FakeTimeProvider();
        var options = new QuotaOptions { RequestsPerSecond = 5 };
        options.Tenants["big"] = new QuotaOptions.TenantQuota { RequestsPerSecond = 50 };
        using var quotas = new TenantQuotas(new Monitor<QuotaOptions>(options), time);
        var small = new TenantId("small");
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => quotas.TryTakeRequest(small)));
        Assert.Equal(50, Enumerable.Range(0, 80).Count(_ => quotas.TryTakeRequest(new TenantId("big"))));
        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.False(quotas.TryTakeRequest(small));
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => quotas.TryTakeRequest(small)));
        // One tenant's spending leaves another's bucket whole.
        Assert.True(quotas.TryTakeRequest(new TenantId("other")));
    }

    [Fact]
    public void Finding9_unknown_key_lookups_are_limited_per_client_address()
    {
        var time = new FakeTimeProvider();
        using var quotas = new TenantQuotas(new Monitor<QuotaOptions>(new QuotaOptions { UnknownKeyLookupsPerSecond = 3 }), time);
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => quotas.TryTakeUnknownKeyLookup("10.0.0.1")));
        Assert.True(quotas.TryTakeUnknownKeyLookup("10.0.0.2"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => quotas.TryTakeUnknownKeyLookup("10.0.0.1")));
    }

    [Fact]
    public async Task Finding9_the_rate_limit_answers_429_in_the_envelope()
    {
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Gateway:Quotas:RequestsPerSecond"] = "3",
        });
        var tenant = await TenantAsync(host, "t1");
        var statuses = new List<HttpStatusCode>();
        JsonElement refused = default;
        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await GetAsync(tenant, "inner/user/list");
            statuses.Add(status);
            if (status == HttpStatusCode.TooManyRequests) refused = body;
        }

        // Three a second: a run of ten within a couple of seconds gets at most nine through, and a refusal in the envelope.
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.DoesNotContain(statuses, s => s != HttpStatusCode.OK && s != HttpStatusCode.TooManyRequests);
        Assert.Equal(ErrorCodes.QueueFull, refused.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("data").ValueKind);
    }

    [Fact]
    public async Task Finding9_unknown_apikeys_do_not_activate_a_grain_each_time()
    {
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Quotas:UnknownKeyLookupsPerSecond"] = "5" });
        var auth = host.Services.GetRequiredService<TenantAuthenticator>();
        using var guesser = new HttpClient { BaseAddress = host.Http.BaseAddress };
        guesser.DefaultRequestHeaders.Add(TenantAuthenticator.HeaderName, "wk_not-a-key-of-anyone");
        // One key asked for again and again is looked up once: fifty answers 401 and none spends the lookups (5 a second).
        for (var i = 0; i < 50; i++)
        {
            using var again = await guesser.GetAsync("/gnapi/open/inner/user/list");
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }

        Assert.Equal(1, auth.UnknownKeysRemembered);

        // New random keys: at most the address's lookups per second reach a key grain, the rest answer 429.
        var before = Calls(host);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 100; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/gnapi/open/inner/user/list");
            request.Headers.Add(TenantAuthenticator.HeaderName, "wk_guess_" + Guid.NewGuid().ToString("N"));
            using var response = await host.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 50, string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.True(auth.UnknownKeysRemembered <= 51, $"{auth.UnknownKeysRemembered} unknown keys looked up");
        Assert.True(Calls(host) - before < 100, $"{Calls(host) - before} grain calls for 100 guessed keys");
    }

    [Fact]
    public async Task Finding9_random_wxIds_hostnames_and_conversation_ids_activate_no_grain_of_theirs()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);
        var management = host.Grains.GetGrain<IManagementGrain>(0);
        async Task<int> ActivationsAsync(string type) =>
            (await management.GetSimpleGrainStatistics()).Where(s => s.GrainType.Contains(type, StringComparison.Ordinal)).Sum(s => s.ActivationCount);
        var accounts = await ActivationsAsync("AccountGrain");
        var containers = await ActivationsAsync("ContainerGrain");
        var conversations = await ActivationsAsync("ConversationGrain");

        for (var i = 0; i < 20; i++)
        {
            var wxId = "1688" + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999);
            var (sent, _) = await PostAsync(tenant, "msg/text", Text(wxId, "hello"));
            Assert.Equal(HttpStatusCode.NotFound, sent);
            var (history, _) = await GetAsync(tenant, $"container/c-guess-{i}/history");
            Assert.Equal(HttpStatusCode.NotFound, history);
            var conversation = $"S:{W}_{7881300839070000 + i}";
            var (messages, body) = await GetAsync(tenant, $"conversation/messages?wxId={W}&conversationId={Uri.EscapeDataString(conversation)}");
            Assert.Equal(HttpStatusCode.OK, messages);
            Assert.Equal(0, body.GetProperty("data").GetArrayLength());
        }

        Assert.Equal(accounts, await ActivationsAsync("AccountGrain"));
        Assert.Equal(containers, await ActivationsAsync("ContainerGrain"));
        Assert.Equal(conversations, await ActivationsAsync("ConversationGrain"));
    }

    [Fact]
    public async Task Finding9_containers_per_tenant_are_capped_with_429()
    {
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:Quotas:ContainersPerTenant"] = "2" });
        var tenant = await TenantAsync(host, "t1");
        await host.CreateContainerAsync("t1", "c-1");
        await host.CreateContainerAsync("t1", "c-2");
        var (status, body) = await PostAsync(tenant, "container/create", new { userId = UserOf("t1") });
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(ErrorCodes.QueueFull, body.GetProperty("code").GetInt32());
        Assert.Contains("2 containers", body.GetProperty("msg").GetString());
    }
}

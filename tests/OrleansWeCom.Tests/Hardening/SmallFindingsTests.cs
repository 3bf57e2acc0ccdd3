using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Grains.Webhooks;
using OrleansWeCom.Tests.Callbacks;
using OrleansWeCom.Tests.ContainerHost;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 8's smaller items.</summary>
public sealed class SmallFindingsTests(SmallFindingsTests.Running running) : IClassFixture<SmallFindingsTests.Running>
{
    private const string W = "1688854355260001";
    private const string AdminKey = "operator-key-0123456789";

    /// <summary>One host for the class, with the operator key set; each test takes a tenant and an account of its own.</summary>
    public sealed class Running : IAsyncLifetime
    {
        private int _tests;

        internal CallbackTestHost Host { get; private set; } = null!;

        internal int Next() => Interlocked.Increment(ref _tests);

        public async Task InitializeAsync() =>
            Host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Gateway:AdminApiKey"] = AdminKey });

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    [Theory]
    [InlineData("msg/text", $$$"""{"wxId":"{{{W}}}","WXID":"1688854355260002","conversationId":"S:{{{W}}}_7881300839070001","content":"x"}""")]
    [InlineData("msg/link", $$$"""{"wxId":"{{{W}}}","conversationId":"S:{{{W}}}_7881300839070001","title":"t","url":"u","extra":{"a":1,"A":2}}""")]
    public async Task Finding8_duplicate_json_keys_answer_400_not_500(string path, string body)
    {
        // Each case has a tenant and an account of its own on the class's host; the body names that account instead of W.
        var host = running.Host;
        var n = running.Next();
        var wxId = $"168885435527{n:D4}";
        var tenant = await TenantAsync(host, $"t{n}");
        await LoginAsync(host, $"t{n}", $"c-{n}", wxId);
        using var response = await tenant.PostAsync("/gnapi/open/" + path, new StringContent(body.Replace(W, wxId), Encoding.UTF8, "application/json"));
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {error}");
        Assert.Contains("twice", error.GetProperty("msg").GetString());
    }

    [Fact]
    public void Finding8_conversation_ids_are_capped_below_their_column()
    {
        Assert.False(ConversationId.TryParse("R:" + new string('7', 100), null, out _, out var error));
        Assert.Contains("longer than", error);
        Assert.DoesNotContain("7777777777", error);
        Assert.True(ConversationId.TryParse($"S:{new string('1', 32)}_{new string('2', 32)}", null, out _, out _));
    }

    private sealed class FailingProbe : IReadinessProbe
    {
        public Task<(bool Ready, string Detail)> CheckAsync(CancellationToken cancellationToken) =>
            throw new InvalidOperationException("Host=db.internal.example;Username=wecom;Password=hunter2");
    }

    [Fact]
    public async Task Finding8_readiness_does_not_show_the_exception_text()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IReadinessProbe, FailingProbe>();
        await using var app = builder.Build();
        app.MapHealth();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        using var response = await client.GetAsync("/health/ready");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("not ready", body);
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain("db.internal", body);
    }

    [Fact]
    public async Task Finding8_admin_stats_does_not_force_a_full_collection()
    {
        using var client = new HttpClient { BaseAddress = running.Host.Http.BaseAddress };
        client.DefaultRequestHeaders.Add("apikey", AdminKey);
        (await client.GetAsync("/admin/stats")).EnsureSuccessStatusCode();
        var before = GC.CollectionCount(2);
        for (var i = 0; i < 5; i++) (await client.GetAsync("/admin/stats")).EnsureSuccessStatusCode();
        Assert.True(GC.CollectionCount(2) - before < 5, $"{GC.CollectionCount(2) - before} full collections for 5 calls");
    }

    [Theory]
    [InlineData("//{0}/steal")]
    [InlineData("/\\{0}/steal")]
    public async Task Finding8_a_qr_path_that_names_another_host_is_refused(string template)
    {
        await using var own = await StubContainerHost.StartAsync();
        await using var other = await StubContainerHost.StartAsync();
        await using var services = ContainerHostTestServices.Build(hosts: ContainerHostTestServices.HostAt("h", own.BaseUrl));
        var hosts = services.GetRequiredService<IContainerHosts>();
        var path = string.Format(template, new Uri(other.BaseUrl).Authority);
        var error = await Assert.ThrowsAsync<WeComException>(() => hosts.DownloadAsync("h", path, CancellationToken.None));
        Assert.Equal(ErrorCodes.HostError, error.Code);
        Assert.Empty(other.Requests);
    }

    private sealed class Monitor(WebhookOptions value) : IOptionsMonitor<WebhookOptions>
    {
        public WebhookOptions CurrentValue { get; } = value;
        public WebhookOptions Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<WebhookOptions, string?> listener) => null;
    }

    [Fact]
    public async Task Finding8_the_webhook_guard_refuses_tunnels_to_ipv4_and_names_no_dns_answer()
    {
        var guard = new WebhookUrlGuard(new Monitor(new WebhookOptions { AllowLoopback = false, AllowPrivateNetworks = false }));
        foreach (var tunnel in new[] { "2002:a00:1::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "::a00:1", "::7f00:1" })
            Assert.NotNull(guard.Refusal(IPAddress.Parse(tunnel)));
        Assert.Null(guard.Refusal(IPAddress.Parse("2606:4700:4700::1111")));
        Assert.Null(guard.Refusal(IPAddress.Parse("2001:4860:4860::8888")));

        var refusal = await guard.CheckAsync("http://localhost:8080/hook");
        Assert.Contains("loopback", refusal);
        Assert.DoesNotContain("127.0.0.1", refusal);
        Assert.DoesNotContain("::1", refusal);
    }
}

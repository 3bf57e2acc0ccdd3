using System.Net;
using System.Text.Json;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.Host;

/// <summary>One real host process shared by the gateway tests of this class.</summary>
public sealed class RunningHost : IAsyncLifetime
{
    public HostProcess Host { get; } = new();

    public Task InitializeAsync() => Host.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

[Collection(OrleansWeCom.Tests.Infrastructure.HostProcessCollection.Name)]
public sealed class GatewayEnvelopeTests(RunningHost running) : IClassFixture<RunningHost>
{
    private HostProcess Host => running.Host;

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task Tenant_api_without_a_valid_key_answers_401_in_the_envelope(string? key)
    {
        var envelope = await Host.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/wx/list", apiKey: key, expected: HttpStatusCode.Unauthorized);
        Assert.Equal(ErrorCodes.Unauthorized, envelope.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
        Assert.Contains("apikey", envelope.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Unknown_endpoint_answers_404_in_the_envelope()
    {
        var envelope = await Host.CallAsync(HttpMethod.Get, "/gnapi/open/no/such/thing", expected: HttpStatusCode.NotFound);
        Assert.NotEqual(0, envelope.GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("{\"userId\":", "malformed JSON")]
    [InlineData("{\"userId\":5}", "userId")]
    [InlineData("{}", "userId is required")]
    [InlineData("[1,2]", "JSON")]
    [InlineData("null", "JSON object")]
    public async Task Bad_create_bodies_answer_400_naming_the_problem(string body, string expectedText)
    {
        var envelope = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", rawBody: body, expected: HttpStatusCode.BadRequest);
        Assert.Equal(ErrorCodes.BadRequest, envelope.GetProperty("code").GetInt32());
        Assert.Contains(expectedText, envelope.GetProperty("msg").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Oversized_body_answers_413_not_500()
    {
        var huge = "{\"userId\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        var envelope = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", rawBody: huge, expected: HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(ErrorCodes.PayloadTooLarge, envelope.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Parameter_names_are_case_insensitive_as_the_seed_promises()
    {
        var envelope = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", rawBody: "{\"USERID\":\"apps-1\"}");
        var hostname = envelope.GetProperty("data").GetProperty("hostname").GetString();
        var list = await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/inner/user/wx/list?isonline=false&hostname={hostname}");
        Assert.Single(list.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Create_refuses_a_user_of_another_tenant()
    {
        var othersUser = "apps-x-" + Guid.NewGuid().ToString("N")[..6];
        var othersKey = await CreateTenantAsync("other-" + Guid.NewGuid().ToString("N")[..8], othersUser);
        var envelope = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = othersUser }, expected: HttpStatusCode.NotFound);
        Assert.Contains(othersUser, envelope.GetProperty("msg").GetString());
        // The owner of that user may create with it.
        await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = othersUser }, apiKey: othersKey);
    }

    [Fact]
    public async Task A_tenant_cannot_see_or_command_another_tenants_container()
    {
        var created = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = "apps-1" });
        var hostname = created.GetProperty("data").GetProperty("hostname").GetString()!;
        var otherKey = await CreateTenantAsync("rival-" + Guid.NewGuid().ToString("N")[..8], "apps-r-" + Guid.NewGuid().ToString("N")[..6]);

        var list = await Host.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/wx/list?IsOnline=false", apiKey: otherKey);
        Assert.DoesNotContain(list.GetProperty("data").EnumerateArray(), c => c.GetProperty("hostname").GetString() == hostname);
        await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/history", apiKey: otherKey, expected: HttpStatusCode.NotFound);
        await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/stop", new { hostname = new[] { hostname } }, apiKey: otherKey, expected: HttpStatusCode.NotFound);
        await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/qrcode", apiKey: otherKey, expected: HttpStatusCode.NotFound);

        // The owner still sees it untouched.
        var mine = await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}");
        Assert.Equal(3, mine.GetProperty("data")[0].GetProperty("Status").GetInt32());
    }

    [Fact]
    public async Task Admin_api_needs_the_operator_key()
    {
        await Host.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = "x" }, apiKey: HostProcess.DemoApiKey, expected: HttpStatusCode.Unauthorized);
        await Host.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = "x" }, apiKey: null, expected: HttpStatusCode.Unauthorized);
        var bad = await Host.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = "not ok!" }, apiKey: HostProcess.AdminApiKey, expected: HttpStatusCode.BadRequest);
        Assert.Contains("id", bad.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task A_preset_api_key_sent_chunked_is_the_key_issued()
    {
        await Host.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = "preset", name = "preset" }, apiKey: HostProcess.AdminApiKey);
        // JsonContent is sent chunked, without Content-Length, as many clients send JSON.
        var issued = await Host.CallAsync(HttpMethod.Post, "/admin/tenants/preset/apikeys", new { apiKey = "preset-key-0123456789abcdef" }, apiKey: HostProcess.AdminApiKey);
        Assert.Equal("preset-key-0123456789abcdef", issued.GetProperty("data").GetProperty("apiKey").GetString());
        await Host.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/list", apiKey: "preset-key-0123456789abcdef");
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        await Host.CallAsync(HttpMethod.Get, "/health/live", apiKey: null);
        var ready = await Host.CallAsync(HttpMethod.Get, "/health/ready", apiKey: null);
        Assert.Equal("ready", ready.GetProperty("data").GetProperty("status").GetString());
    }

    private async Task<string> CreateTenantAsync(string tenantId, string userId)
    {
        await Host.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = tenantId, name = tenantId }, apiKey: HostProcess.AdminApiKey);
        await Host.CallAsync(HttpMethod.Post, $"/admin/tenants/{tenantId}/users", new { userId }, apiKey: HostProcess.AdminApiKey);
        var key = await Host.CallAsync(HttpMethod.Post, $"/admin/tenants/{tenantId}/apikeys", new { }, apiKey: HostProcess.AdminApiKey);
        return key.GetProperty("data").GetProperty("apiKey").GetString()!;
    }
}

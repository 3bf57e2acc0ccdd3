using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansWeCom.Tests.Callbacks;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Tenants, containers and logged-in accounts on a <see cref="CallbackTestHost"/>, and the tenant API's answers.</summary>
internal static class Hardening
{
    public const string Corp = "1970325000000001";

    /// <summary>A tenant with its user (<see cref="UserOf"/>) and a client carrying its key.</summary>
    public static async Task<HttpClient> TenantAsync(CallbackTestHost host, string tenant)
    {
        var client = await host.TenantClientAsync(tenant);
        await host.Grains.GetGrain<ITenantGrain>(tenant).AddUserAsync(UserOf(tenant), null, false);
        return client;
    }

    public static string UserOf(string tenant) => "user-" + tenant;

    /// <summary>A container of <paramref name="tenant"/> in which <paramref name="wxId"/> has logged in.</summary>
    public static async Task LoginAsync(CallbackTestHost host, string tenant, string hostname, string wxId)
    {
        await host.CreateContainerAsync(tenant, hostname);
        await host.Grains.GetGrain<IContainerGrain>(hostname)
            .ApplyAsync(new LifecycleSignal.UserLogin(new AccountProfile(new WxId(wxId), new CorpId(Corp))), DateTimeOffset.UtcNow);
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/gnapi/open/" + path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(HttpClient client, string pathAndQuery)
    {
        using var response = await client.GetAsync("/gnapi/open/" + pathAndQuery);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public static object Text(string wxId, string content, string customer = SeedCallbacks.Customer) =>
        new { wxId, conversationId = $"S:{wxId}_{customer}", content };
}

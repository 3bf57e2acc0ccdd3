using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Http;

public sealed class GatewayOptions
{
    /// <summary>The operator key for <c>/admin</c>; the admin API is closed when it is empty.</summary>
    public string? AdminApiKey { get; set; }

    /// <summary>How long a resolved API key is trusted before asking its grain again (revocation delay).</summary>
    public TimeSpan ApiKeyCacheTtl { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Resolves the seed's <c>apikey</c> header to a tenant, with a short cache in front of the key grains.</summary>
public sealed class TenantAuthenticator(IGrainFactory grains, IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (TenantId? Tenant, DateTimeOffset Until)> _cache = new();

    public const string HeaderName = "apikey";

    public async Task<TenantId?> ResolveAsync(string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(apiKey) || apiKey.Length > 256) return null;
        var hash = ApiKeyHash(apiKey);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var hit) && hit.Until > now) return hit.Tenant;
        var tenant = await grains.GetGrain<IApiKeyGrain>(hash).ResolveAsync();
        if (_cache.Count > 100_000) _cache.Clear();
        _cache[hash] = (tenant, now + options.Value.ApiKeyCacheTtl);
        return tenant;
    }

    public void Forget(string apiKey) => _cache.TryRemove(ApiKeyHash(apiKey), out _);

    /// <summary>The key grain's key; the same hash the tenant grain stores.</summary>
    public static string ApiKeyHash(string apiKey) => ApiKeys.Hash(apiKey);

    public bool IsOperator(string? key)
    {
        var expected = options.Value.AdminApiKey;
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(key)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(expected));
    }
}

public static class TenantContext
{
    private const string Key = "wecom.tenant";

    public static TenantId Tenant(this HttpContext context) =>
        context.Items[Key] is TenantId t ? t : throw ApiError.Unauthorized("missing or invalid apikey header");

    internal static void SetTenant(this HttpContext context, TenantId tenant) => context.Items[Key] = tenant;

    /// <summary>Requires a valid tenant API key in the <c>apikey</c> header on every endpoint of the group.</summary>
    public static RouteGroupBuilder RequireTenant(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var auth = http.RequestServices.GetRequiredService<TenantAuthenticator>();
            var tenant = await auth.ResolveAsync(http.Request.Headers[TenantAuthenticator.HeaderName]);
            if (tenant is null)
                return Envelope.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "missing or invalid apikey header");
            http.SetTenant(tenant.Value);
            return await next(invocation);
        });

    /// <summary>Requires the operator key in the <c>apikey</c> header.</summary>
    public static RouteGroupBuilder RequireOperator(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var auth = http.RequestServices.GetRequiredService<TenantAuthenticator>();
            if (!auth.IsOperator(http.Request.Headers[TenantAuthenticator.HeaderName]))
                return Envelope.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "missing or invalid operator apikey");
            return await next(invocation);
        });
}

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

    /// <summary>How long a key no tenant holds is answered 401 from memory before its grain is asked again.</summary>
    public TimeSpan UnknownKeyCacheTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Keys remembered, known and unknown each; past it the expired ones go, then no new one is remembered.</summary>
    public int ApiKeyCacheSize { get; set; } = 100_000;
}

/// <summary>The client asked for too many keys no tenant holds: answered 429, and no key grain is asked.</summary>
public sealed class UnknownKeyLookupsExceeded() : Exception("too many requests with unknown apikeys from this address; retry later");

/// <summary>
/// Resolves the seed's <c>apikey</c> header to a tenant, with a short cache in front of the key grains. A key no tenant
/// holds is remembered too (bounded, for <see cref="GatewayOptions.UnknownKeyCacheTtl"/>), and a client asking for new
/// unknown keys is limited per address (<see cref="QuotaOptions.UnknownKeyLookupsPerSecond"/>), so guessing keys costs
/// a bounded number of grain activations and storage reads.
/// </summary>
public sealed class TenantAuthenticator(IGrainFactory grains, IOptions<GatewayOptions> options, TimeProvider time, TenantQuotas quotas)
{
    private readonly ConcurrentDictionary<string, (TenantId Tenant, DateTimeOffset Until)> _known = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknown = new();

    public const string HeaderName = "apikey";

    /// <summary>The tenant of <paramref name="apiKey"/>, or null; throws <see cref="UnknownKeyLookupsExceeded"/> past the client's limit.</summary>
    public async Task<TenantId?> ResolveAsync(string? apiKey, string? clientAddress = null)
    {
        if (string.IsNullOrWhiteSpace(apiKey) || apiKey.Length > 256) return null;
        var hash = ApiKeyHash(apiKey);
        var now = time.GetUtcNow();
        if (_known.TryGetValue(hash, out var hit) && hit.Until > now) return hit.Tenant;
        if (_unknown.TryGetValue(hash, out var until) && until > now) return null;
        if (!_known.ContainsKey(hash) && !quotas.TryTakeUnknownKeyLookup(clientAddress ?? "")) throw new UnknownKeyLookupsExceeded();
        var tenant = await grains.Reference<IApiKeyGrain>(hash).ResolveAsync();
        var o = options.Value;
        if (tenant is { } t)
        {
            _unknown.TryRemove(hash, out _);
            if (Room(_known, o.ApiKeyCacheSize, now, e => e.Until)) _known[hash] = (t, now + o.ApiKeyCacheTtl);
        }
        else
        {
            _known.TryRemove(hash, out _);
            if (Room(_unknown, o.ApiKeyCacheSize, now, e => e)) _unknown[hash] = now + o.UnknownKeyCacheTtl;
        }

        return tenant;
    }

    /// <summary>Whether one more entry fits, after dropping the expired ones when the cache is full.</summary>
    private static bool Room<T>(ConcurrentDictionary<string, T> cache, int max, DateTimeOffset now, Func<T, DateTimeOffset> until)
    {
        if (cache.Count < max) return true;
        foreach (var (key, value) in cache)
            if (until(value) <= now) cache.TryRemove(key, out _);
        return cache.Count < max;
    }

    /// <summary>How many unknown keys are remembered (for tests and stats).</summary>
    public int UnknownKeysRemembered => _unknown.Count;

    public void Forget(string apiKey)
    {
        _known.TryRemove(ApiKeyHash(apiKey), out _);
        _unknown.TryRemove(ApiKeyHash(apiKey), out _);
    }

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
            TenantId? tenant;
            try
            {
                tenant = await auth.ResolveAsync(http.Request.Headers[TenantAuthenticator.HeaderName], http.Connection.RemoteIpAddress?.ToString());
            }
            catch (UnknownKeyLookupsExceeded e)
            {
                return Envelope.Error(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull, e.Message);
            }

            if (tenant is null)
                return Envelope.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "missing or invalid apikey header");
            var quotas = http.RequestServices.GetRequiredService<TenantQuotas>();
            if (!quotas.TryTakeRequest(tenant.Value))
            {
                http.Response.Headers.RetryAfter = "1";
                return Envelope.Error(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull,
                    $"too many requests: this tenant may make {quotas.Options.RateOf(tenant.Value.Value)} a second; retry later");
            }

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

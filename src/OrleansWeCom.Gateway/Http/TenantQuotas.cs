using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Http;

/// <summary>Per-tenant limits (section <c>Gateway:Quotas</c>); a tenant's own values under <c>Tenants:&lt;id&gt;</c>.</summary>
public sealed class QuotaOptions
{
    /// <summary>
    /// Tenant API requests one tenant may make per second across the gateways (429 past it), each gateway taking a share
    /// in proportion to its recent demand; 0 turns the limit off.
    /// </summary>
    public int RequestsPerSecond { get; set; } = 2000;

    /// <summary>Containers one tenant may hold (container/create answers 429 past it); 0 turns the limit off.</summary>
    public int ContainersPerTenant { get; set; } = 10_000;

    /// <summary>Lookups of API keys this gateway does not know, per client address and second (429 past them).</summary>
    public int UnknownKeyLookupsPerSecond { get; set; } = 10;

    public Dictionary<string, TenantQuota> Tenants { get; set; } = new(StringComparer.Ordinal);

    public sealed class TenantQuota
    {
        public int? RequestsPerSecond { get; set; }
        public int? ContainersPerTenant { get; set; }
    }

    public int RateOf(string tenant) => Tenants.TryGetValue(tenant, out var t) && t.RequestsPerSecond is { } r ? r : RequestsPerSecond;
    public int ContainersOf(string tenant) => Tenants.TryGetValue(tenant, out var t) && t.ContainersPerTenant is { } c ? c : ContainersPerTenant;
}

/// <summary>
/// Fixed one-second windows of <see cref="System.Threading.RateLimiting"/> per partition (a tenant; a client address
/// asking for unknown keys). A partition's limiter is replaced by a full one when the injected <see cref="TimeProvider"/>
/// enters a new second (the limiters' own replenishment reads the machine's clock), so tests run on fake time. Windows
/// gone by are swept once the partitions pass a bound. With <see cref="ClusterTenantUsage"/> a tenant's window holds
/// this gateway's share of its rate (set when the window opens), and every request counts as this gateway's demand.
/// </summary>
public sealed class TenantQuotas(IOptionsMonitor<QuotaOptions> options, TimeProvider time, ClusterTenantUsage? cluster = null) : IDisposable
{
    private const int SweepAbove = 10_000;
    private readonly ConcurrentDictionary<string, Window> _tenants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Window> _unknownKeys = new(StringComparer.Ordinal);

    private sealed record Window(long Second, FixedWindowRateLimiter Limiter);

    public QuotaOptions Options => options.CurrentValue;

    /// <summary>Takes one request of <paramref name="tenant"/>'s rate; false when its second is spent.</summary>
    public bool TryTakeRequest(TenantId tenant)
    {
        var rate = Options.RateOf(tenant.Value);
        if (rate <= 0) return true;
        if (cluster is null) return Take(_tenants, tenant.Value, _ => rate);
        cluster.NoteRequest(tenant.Value, rate);
        return Take(_tenants, tenant.Value, t => cluster.RateShare(t, rate));
    }

    /// <summary>Takes one lookup of a key not known here, for the client at <paramref name="address"/>.</summary>
    public bool TryTakeUnknownKeyLookup(string address)
    {
        var rate = Options.UnknownKeyLookupsPerSecond;
        return rate <= 0 || Take(_unknownKeys, address, _ => rate);
    }

    private bool Take(ConcurrentDictionary<string, Window> windows, string key, Func<string, int> perSecond)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        var window = windows.AddOrUpdate(key, k => New(second, perSecond(k)), (k, old) =>
        {
            if (old.Second == second) return old;
            old.Limiter.Dispose();
            return New(second, perSecond(k));
        });
        if (windows.Count > SweepAbove)
            foreach (var (k, w) in windows)
                if (w.Second < second && windows.TryRemove(new KeyValuePair<string, Window>(k, w))) w.Limiter.Dispose();
        using var lease = window.Limiter.AttemptAcquire();
        return lease.IsAcquired;
    }

    private static Window New(long second, int permits) => new(second, new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
    {
        PermitLimit = permits,
        Window = TimeSpan.FromSeconds(1),
        AutoReplenishment = false,
        QueueLimit = 0,
    }));

    public void Dispose()
    {
        foreach (var window in _tenants.Values.Concat(_unknownKeys.Values)) window.Limiter.Dispose();
    }
}

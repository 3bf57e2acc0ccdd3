namespace OrleansWeCom;

/// <summary>
/// What one process holds and asks of a tenant: the bytes of its accounts' unsettled sends on that silo, and the weight
/// of its gateway's share of the tenant's request rate (its recent requests per second, at least the floor; 0 when it
/// had none).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantUsageReport")]
public sealed record TenantUsageReport([property: Id(0)] long QueuedBytes, [property: Id(1)] double RequestWeight)
{
    public bool IsIdle => QueuedBytes <= 0 && RequestWeight <= 0;
}

/// <summary>The latest reports of every other process still reporting, summed.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantUsageOfOthers")]
public sealed record TenantUsageOfOthers(
    [property: Id(0)] long QueuedBytes,
    [property: Id(1)] double RequestWeight,
    [property: Id(2)] int Members);

/// <summary>
/// A tenant's usage across the cluster (key: the tenant id). Each process active for the tenant exchanges its own
/// figures for the others' about once per <see cref="TenantUsageOptions.SyncInterval"/>; a process that stops reporting
/// drops out after <see cref="TenantUsageOptions.Expiry"/>. Held in memory only: a new activation is refilled within one
/// interval.
/// </summary>
[Alias("OrleansWeCom.ITenantUsageGrain")]
public interface ITenantUsageGrain : IGrainWithStringKey
{
    [Alias("Exchange")] Task<TenantUsageOfOthers> ExchangeAsync(string member, TenantUsageReport report);
}

/// <summary>How per-tenant limits are shared across the cluster (section <c>WeCom:Usage</c>).</summary>
public sealed class TenantUsageOptions
{
    public const string SectionName = "WeCom:Usage";

    /// <summary>How often each process exchanges its figures of the tenants active on it: the staleness of the others' figures.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a report counts without a newer one; also how long an idle tenant keeps being reported.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The least share of a tenant's rate a gateway with any of its requests is weighted with (0–1).</summary>
    public double MinRateShare { get; set; } = 0.1;
}

using Microsoft.Extensions.Options;

namespace OrleansWeCom.Client;

/// <summary>Bounds and pace of the facade; section <c>WeComClient</c>.</summary>
public sealed class WeComClientOptions
{
    public const string SectionName = "WeComClient";

    /// <summary>Most items one bulk call takes (a larger call is refused whole, before anything is queued).</summary>
    public int MaxBulkItems { get; set; } = 10_000;

    /// <summary>Accounts a bulk call queues for at the same time.</summary>
    public int BulkConcurrency { get; set; } = 64;

    /// <summary>How often a live subscription asks the event log for new events while it has caught up.</summary>
    public TimeSpan EventPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Events one read of the event log returns (at most 1000).</summary>
    public int EventPageSize { get; set; } = 500;
}

public sealed class WeComClient(IClusterClient cluster, IOptions<WeComClientOptions> options, TimeProvider? time = null) : IWeComClient
{
    public IWeComTenantClient ForTenant(TenantId tenant)
    {
        if (!TenantId.TryParse(tenant.Value, out _)) throw WeComException.BadRequest($"tenant '{tenant.Value}' is not a valid tenant id");
        return new WeComTenantClient(cluster, tenant, options.Value, time ?? TimeProvider.System);
    }
}

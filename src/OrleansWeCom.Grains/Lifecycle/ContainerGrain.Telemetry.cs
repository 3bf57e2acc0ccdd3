using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>The container's share of the accounts-by-status gauge: each activation counts itself under its current status.</summary>
public sealed partial class ContainerGrain
{
    private ContainerStatus? _counted;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CountAs(null);
        return Task.CompletedTask;
    }

    private void CountAs(ContainerStatus? status)
    {
        if (status == _counted) return;
        if (_counted is { } before) WeComTelemetry.Accounts.Add(-1, new KeyValuePair<string, object?>("status", before.ToString()));
        if (status is { } now) WeComTelemetry.Accounts.Add(1, new KeyValuePair<string, object?>("status", now.ToString()));
        _counted = status;
    }
}

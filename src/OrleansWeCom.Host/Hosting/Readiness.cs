using Orleans.Runtime;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Storage;

namespace OrleansWeCom.Host.Hosting;

/// <summary>Ready when this silo is Active in the cluster and the database answers.</summary>
public sealed class Readiness(
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IHostApplicationLifetime lifetime,
    StorageDatabases databases) : IReadinessProbe
{
    public async Task<(bool Ready, string Detail)> CheckAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return (false, "shutting down");
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active) return (false, $"silo is {status}");
        await databases[StorageComponent.Orleans].QueryAsync("SELECT 1", _ => { }, r => r.GetValue(0), cancellationToken);
        return (true, "silo active, storage answers");
    }
}

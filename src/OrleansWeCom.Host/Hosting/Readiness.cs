using System.Data.Common;
using Orleans.Runtime;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Host.Hosting;

/// <summary>Ready when this silo is Active in the cluster and the database answers.</summary>
public sealed class Readiness(
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IHostApplicationLifetime lifetime,
    DbProviderFactory factory,
    string connectionString) : IReadinessProbe
{
    public async Task<(bool Ready, string Detail)> CheckAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return (false, "shutting down");
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active) return (false, $"silo is {status}");
        await using var connection = factory.CreateConnection()!;
        connection.ConnectionString = connectionString;
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        await command.ExecuteScalarAsync(cancellationToken);
        return (true, "silo active, storage answers");
    }
}

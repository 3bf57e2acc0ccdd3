using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace OrleansWeCom.Client;

/// <summary>Where the silos keep membership, as the host's <c>Storage:Provider</c> says.</summary>
public enum ClusterClientStorageProvider
{
    /// <summary>The embedded run: one silo on localhost.</summary>
    Sqlite,

    /// <summary>A cluster whose membership is in PostgreSQL.</summary>
    PostgreSql,
}

/// <summary>
/// The part of the host's <c>Storage</c> section an external cluster client needs. Bind it from the same
/// section; it is its own type because this project does not reference the host.
/// </summary>
public sealed class ClusterClientStorageOptions
{
    public const string SectionName = "Storage";

    public ClusterClientStorageProvider Provider { get; set; } = ClusterClientStorageProvider.Sqlite;

    /// <summary>Required for PostgreSQL; not used for SQLite, whose silo is found on localhost.</summary>
    public string? ConnectionString { get; set; }
}

public static class ClientBuilderStorageExtensions
{
    /// <summary>
    /// Finds the gateways: on localhost (<paramref name="gatewayPort"/>) for SQLite, from the ADO.NET membership
    /// table for PostgreSQL (invariant Npgsql). The silos must have installed the schema first.
    /// </summary>
    public static IClientBuilder UseWeComClustering(this IClientBuilder client, ClusterClientStorageOptions options, int gatewayPort = 30000)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Provider)
        {
            case ClusterClientStorageProvider.Sqlite:
                return client.UseLocalhostClustering(gatewayPort);
            case ClusterClientStorageProvider.PostgreSql when string.IsNullOrWhiteSpace(options.ConnectionString):
                throw new OptionsValidationException(Options.DefaultName, typeof(ClusterClientStorageOptions),
                    ["Storage:ConnectionString is required when Storage:Provider is PostgreSql."]);
            case ClusterClientStorageProvider.PostgreSql:
                return client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = options.ConnectionString;
                });
            default:
                throw new OptionsValidationException(Options.DefaultName, typeof(ClusterClientStorageOptions),
                    [$"Storage:Provider '{options.Provider}' is not known; use Sqlite or PostgreSql."]);
        }
    }
}

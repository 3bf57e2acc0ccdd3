using Orleans.Configuration;
using Orleans.Runtime;
using OrleansWeCom.Grains;

namespace OrleansWeCom.Host.Storage;

public static class SiloBuilderStorageExtensions
{
    /// <summary>The grain storage that memory streams keep their subscriptions in.</summary>
    public const string PubSubStorageName = "PubSubStore";

    /// <summary>
    /// Grain storage <c>wecom</c> and <c>PubSubStore</c> and the reminder table, through Orleans' ADO.NET
    /// providers on the configured database; prepares the database (and applies our schema when
    /// <see cref="StorageOptions.ShouldApplySchema"/>) before any provider starts.
    /// </summary>
    public static ISiloBuilder UseWeComStorage(this ISiloBuilder silo, StorageOptions options)
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        var invariant = StorageConnection.Invariant(options);
        var connectionString = StorageConnection.ConnectionString(options);

        silo.AddWeComSchemaInstaller(options);
        silo.AddAdoNetGrainStorage(StorageNames.Grains, o =>
        {
            o.Invariant = invariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(PubSubStorageName, o =>
        {
            o.Invariant = invariant;
            o.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = invariant;
            o.ConnectionString = connectionString;
        });
        return silo;
    }

    /// <summary>
    /// Cluster membership: localhost clustering on <paramref name="siloPort"/> and <paramref name="gatewayPort"/>
    /// for SQLite (the embedded, single-silo run); ADO.NET clustering on PostgreSQL, where the endpoints
    /// are left to the host's own <c>EndpointOptions</c>.
    /// </summary>
    public static ISiloBuilder UseWeComClustering(this ISiloBuilder silo, StorageOptions options, int siloPort = EndpointOptions.DEFAULT_SILO_PORT, int gatewayPort = EndpointOptions.DEFAULT_GATEWAY_PORT)
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        if (options.Provider == StorageProvider.Sqlite)
        {
            return silo.UseLocalhostClustering(siloPort, gatewayPort);
        }

        silo.AddWeComSchemaInstaller(options);
        return silo.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageConnection.Invariant(options);
            o.ConnectionString = StorageConnection.ConnectionString(options);
        });
    }

    private static void AddWeComSchemaInstaller(this ISiloBuilder silo, StorageOptions options)
    {
        if (silo.Services.Any(d => d.ServiceType == typeof(SchemaInstaller)))
        {
            return;
        }

        silo.Services.AddSingleton(sp => new SchemaInstaller(options, sp.GetRequiredService<ILogger<SchemaInstaller>>()));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SchemaInstallerParticipant>();
    }

    /// <summary>Runs the installer before the membership table, grain storage and reminders open the database.</summary>
    private sealed class SchemaInstallerParticipant(SchemaInstaller installer) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaInstaller), ServiceLifecycleStage.First, ct => installer.StartAsync(ct));
    }
}

using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansWeCom.Grains;
using OrleansWeCom.Storage;
using OrleansWeCom.Storage.Schema;
using OrleansWeCom.Storage.Sqlite;

namespace OrleansWeCom.Host.Storage;

public static class SiloBuilderStorageExtensions
{
    /// <summary>
    /// Grain storage <c>wecom</c> and the reminder table, through Orleans' ADO.NET providers on the configured database;
    /// the schema of every table (<see cref="StorageDatabases.EnsureSchemaAsync"/>) is applied or checked before any
    /// provider starts.
    /// </summary>
    public static ISiloBuilder UseWeComStorage(this ISiloBuilder silo, StorageOptions options)
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        var invariant = StorageConnection.Invariant(options);
        var connectionString = StorageConnection.ConnectionString(options);

        silo.AddWeComSchemaStep(options);
        if (options.Provider == StorageProvider.Sqlite && !silo.Services.Any(d => d.ServiceType == typeof(SqlitePoolPreparer)))
        {
            silo.Services.AddSingleton(sp => new SqlitePoolPreparer(connectionString, options.SqliteSynchronous, sp.GetRequiredService<ILogger<SqlitePoolPreparer>>()));
            silo.Services.AddHostedService(sp => sp.GetRequiredService<SqlitePoolPreparer>());
            silo.Services.AddSqliteCheckpoints(connectionString);
        }

        // Grain state, and the stream subscriptions of the live event streams (Orleans' pub-sub store), in one table.
        foreach (var name in new[] { StorageNames.Grains, StorageNames.PubSub })
            silo.AddAdoNetGrainStorage(name, ob => ob.Configure<IServiceProvider>((o, services) =>
            {
                o.Invariant = invariant;
                o.ConnectionString = connectionString;
                o.GrainStorageSerializer = BinaryStateSerializer(services);
            }));

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = invariant;
            o.ConnectionString = connectionString;
        });
        return silo;
    }

    /// <summary>
    /// State is written in Orleans' own binary format (every state type is <c>[GenerateSerializer]</c> with <c>[Id]</c>s,
    /// so fields can be added and removed as with grain calls): busy conversations rewrite their state at every
    /// write-behind, and JSON serialization cost a large share of a sending silo's CPU. JSON rows are still read.
    /// </summary>
    private static IGrainStorageSerializer BinaryStateSerializer(IServiceProvider services) =>
        new GrainStorageSerializer(
            new OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>()),
            new JsonGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.OrleansJsonSerializer>()));

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

        silo.AddWeComSchemaStep(options);
        return silo.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageConnection.Invariant(options);
            o.ConnectionString = StorageConnection.ConnectionString(options);
        });
    }

    private static void AddWeComSchemaStep(this ISiloBuilder silo, StorageOptions options)
    {
        silo.Services.TryAddSingleton(sp => new StorageDatabases(options, sp.GetRequiredService<ILogger<SchemaInstaller>>()));
        if (silo.Services.Any(d => d.ImplementationType == typeof(SchemaStep))) return;
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SchemaStep>();
    }

    /// <summary>
    /// Applies (or checks) the schema before the membership table, grain storage and reminders open the database, then
    /// (on SQLite) gives the pool the providers will draw from its busy timeout.
    /// </summary>
    private sealed class SchemaStep(StorageDatabases databases, IServiceProvider services) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaInstaller), ServiceLifecycleStage.First, async ct =>
            {
                await databases.EnsureSchemaAsync(ct);
                services.GetService<SqlitePoolPreparer>()?.Prepare();
            });
    }
}

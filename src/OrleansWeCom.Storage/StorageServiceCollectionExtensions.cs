using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Storage.Events;
using OrleansWeCom.Storage.Inbox;
using OrleansWeCom.Storage.Outbox;
using OrleansWeCom.Storage.Schema;
using OrleansWeCom.Storage.Sqlite;

namespace OrleansWeCom.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Our stores on the database of <paramref name="options"/>: the outbox, the callback inbox (sections <c>Callbacks</c>)
    /// and the event log (<c>Events</c>), the schema step they wait for, and on SQLite the background checkpointer of
    /// their files. Orleans' providers are wired by the host.
    /// </summary>
    public static IServiceCollection AddWeComStores(this IServiceCollection services, IConfiguration configuration, StorageOptions options)
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new StorageDatabases(options, sp.GetRequiredService<ILogger<SchemaInstaller>>()));

        services.AddOptions<OutboxStoreOptions>();
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<IOutboxQueries>(sp => sp.GetRequiredService<OutboxStore>());

        services.AddOptions<EventLogOptions>()
            .Bind(configuration.GetSection(EventLogOptions.SectionName))
            .Validate(o => o.Retention > TimeSpan.Zero && o.PruneInterval > TimeSpan.Zero, "Events:Retention and Events:PruneInterval must be positive")
            .Validate(o => o.MaxBatchSize is >= 1 and <= 100_000 && o.QueueCapacity >= 1, "Events:MaxBatchSize must be 1..100000 and Events:QueueCapacity positive")
            .ValidateOnStart();
        services.TryAddSingleton<SqlEventLog>();
        services.TryAddSingleton<IEventLog>(sp => sp.GetRequiredService<SqlEventLog>());

        services.AddOptions<CallbackInboxOptions>().Bind(configuration.GetSection(CallbackInboxOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CallbackInboxOptions>, CallbackInboxOptionsValidator>());
        services.TryAddSingleton<CallbackInboxStore>();
        services.TryAddKeyedSingleton(CallbackStreams.Clock, static (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddSingleton<CallbackInbox>();
        // Added, not tried: it replaces the stand-in the callback grains register when no inbox runs in the process.
        services.AddSingleton<ICallbackAcknowledger>(sp => sp.GetRequiredService<CallbackInbox>());
        services.AddHostedService(sp => sp.GetRequiredService<CallbackInbox>());

        if (options.Provider == StorageProvider.Sqlite)
            services.AddSqliteCheckpoints([.. StorageComponents.All.Where(c => c != StorageComponent.Orleans).Select(c => StorageDatabases.ConnectionString(options, c))]);
        return services;
    }
}

using OrleansWeCom.Storage.Schema;

namespace OrleansWeCom.Storage;

/// <summary>
/// Where each component's tables live for the configured <see cref="StorageOptions"/>, and the one schema step every
/// store waits for: applied (or, with <c>Storage:ApplySchema</c> off, checked) once per process, before the first
/// connection any store opens.
/// </summary>
public sealed class StorageDatabases : IAsyncDisposable
{
    private readonly Dictionary<StorageComponent, StorageDatabase> _byComponent = [];
    private readonly Lock _gate = new();
    private readonly SchemaInstaller _installer;
    private Task? _schema;

    public StorageDatabases(StorageOptions options, ILogger<SchemaInstaller> logger)
    {
        StorageOptionsValidator.ThrowIfInvalid(options);
        Options = options;
        var databases = new List<StorageDatabase>();
        foreach (var group in StorageComponents.All.GroupBy(c => ConnectionString(options, c)))
        {
            var database = new StorageDatabase(options.Provider, group.Key, options.SqliteSynchronous, group.ToList(), EnsureSchemaAsync);
            databases.Add(database);
            foreach (var component in group) _byComponent[component] = database;
        }

        All = databases;
        _installer = new SchemaInstaller(options, databases, logger);
    }

    public StorageOptions Options { get; }

    /// <summary>Every distinct database, each with the components it holds.</summary>
    public IReadOnlyList<StorageDatabase> All { get; }

    public StorageDatabase this[StorageComponent component] => _byComponent[component];

    /// <summary>The connection string of a component: the grain-state database, or on SQLite a sibling file of it.</summary>
    public static string ConnectionString(StorageOptions options, StorageComponent component) => component == StorageComponent.Orleans
        ? StorageConnection.ConnectionString(options)
        : StorageConnection.Sibling(options, component.Name());

    /// <summary>Applies or checks the schema of every database once; a failure is tried again by the next caller.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        var schema = _schema;
        if (schema is { IsCompletedSuccessfully: true }) return schema;
        lock (_gate)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled) _schema = _installer.StartAsync(CancellationToken.None);
            return _schema.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in All) await database.DisposeAsync();
    }
}

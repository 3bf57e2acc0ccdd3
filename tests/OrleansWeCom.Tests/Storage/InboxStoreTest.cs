using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Tests.Storage;

/// <summary>A callback inbox store on a fresh test database with our schema applied, disposed after each test.</summary>
public abstract class InboxStoreTest<TDatabase> : IAsyncLifetime where TDatabase : StorageTestDatabase, new()
{
    private readonly TDatabase _database = new();

    protected StorageDatabases Databases { get; private set; } = null!;
    protected CallbackInboxStore Store { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        Databases = _database.Databases();
        await Databases.EnsureSchemaAsync();
        Store = new CallbackInboxStore(Databases);
    }

    public virtual async Task DisposeAsync()
    {
        await Databases.DisposeAsync();
        await _database.DisposeAsync();
    }
}

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Tests.Storage;

public sealed class SqlitePoolPreparerTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"wecom-pool-{Guid.NewGuid():N}.db");

    private string ConnectionString => StorageConnection.ConnectionString(new StorageOptions { Provider = StorageProvider.Sqlite, ConnectionString = $"Data Source={_file}" });

    private long BusyTimeoutOfNextPooledConnection() => PragmaOfNextPooledConnection("busy_timeout");

    private long PragmaOfNextPooledConnection(string pragma)
    {
        using var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        return (long)command.ExecuteScalar()!;
    }

    [Theory]
    [InlineData("NORMAL", 1)]
    [InlineData("full", 2)]
    public void Connections_the_providers_take_from_the_pool_commit_as_configured(string synchronous, long expected)
    {
        // SQLite's default, FULL, is an fsync per grain write.
        Assert.Equal(2, PragmaOfNextPooledConnection("synchronous"));

        new SqlitePoolPreparer(ConnectionString, synchronous, NullLogger<SqlitePoolPreparer>.Instance).Prepare();

        Assert.Equal(expected, PragmaOfNextPooledConnection("synchronous"));
    }

    [Theory]
    [InlineData("NORMAL", 1)]
    [InlineData("full", 2)]
    public async Task Our_stores_commit_as_configured(string synchronous, long expected)
    {
        await using var databases = new StorageDatabases(new StorageOptions { ConnectionString = $"Data Source={_file}", SqliteSynchronous = synchronous },
            NullLogger<SchemaInstaller>.Instance);
        await using var connection = await databases[StorageComponent.Events].OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        Assert.Equal(expected, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public void An_unknown_synchronous_mode_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SqlitePoolPreparer(ConnectionString, "SOMETIMES", NullLogger<SqlitePoolPreparer>.Instance));
        Assert.Throws<OptionsValidationException>(() => new StorageDatabases(
            new StorageOptions { ConnectionString = $"Data Source={_file}", SqliteSynchronous = "SOMETIMES" }, NullLogger<SchemaInstaller>.Instance));
        Assert.Contains(new StorageOptionsValidator().Validate(null, new StorageOptions { SqliteSynchronous = "SOMETIMES" }).Failures!,
            f => f.Contains("Storage:SqliteSynchronous"));
    }

    [Fact]
    public void Connections_the_providers_take_from_the_pool_wait_for_the_write_lock()
    {
        // What Orleans' providers get without help: no busy handler, so Microsoft.Data.Sqlite's 150 ms retry sleep.
        Assert.Equal(0, BusyTimeoutOfNextPooledConnection());

        new SqlitePoolPreparer(ConnectionString, "NORMAL", NullLogger<SqlitePoolPreparer>.Instance).Prepare();

        Assert.Equal(SqlitePoolPreparer.BusyTimeoutMilliseconds, BusyTimeoutOfNextPooledConnection());
        // Several at once, as concurrent grain writes take them.
        var held = Enumerable.Range(0, 8).Select(_ => new SqliteConnection(ConnectionString)).ToList();
        try
        {
            foreach (var connection in held)
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA busy_timeout";
                Assert.Equal((long)SqlitePoolPreparer.BusyTimeoutMilliseconds, (long)command.ExecuteScalar()!);
            }
        }
        finally
        {
            foreach (var connection in held) connection.Dispose();
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_file)!, Path.GetFileName(_file) + "*")) File.Delete(file);
    }
}

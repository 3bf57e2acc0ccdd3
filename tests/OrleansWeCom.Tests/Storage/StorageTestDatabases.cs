using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansWeCom.Tests.Storage;

/// <summary>A database of its own for one test class, dropped afterwards.</summary>
public abstract class StorageTestDatabase : IAsyncLifetime
{
    public abstract StorageOptions Options { get; }

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    /// <summary>A connection to the database holding <paramref name="component"/>'s tables.</summary>
    protected DbConnection CreateConnection(StorageComponent component = StorageComponent.Orleans) =>
        Options.Provider == StorageProvider.Sqlite
            ? new SqliteConnection(StorageDatabases.ConnectionString(Options, component))
            : new NpgsqlConnection(StorageDatabases.ConnectionString(Options, component));

    /// <summary>The layout of this database, its schema applied at first use.</summary>
    public StorageDatabases Databases() => new(Options, Microsoft.Extensions.Logging.Abstractions.NullLogger<SchemaInstaller>.Instance);

    public async Task<long> ScalarAsync(string sql, StorageComponent component = StorageComponent.Orleans)
    {
        await using var connection = CreateConnection(component);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a script of one or more statements.</summary>
    public async Task ExecuteAsync(string sql, StorageComponent component = StorageComponent.Orleans)
    {
        await using var connection = CreateConnection(component);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public async Task<List<string>> StringsAsync(string sql, StorageComponent component = StorageComponent.Orleans)
    {
        await using var connection = CreateConnection(component);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}

/// <summary>A SQLite file in a directory that does not exist yet (the installer must create it).</summary>
public sealed class SqliteTestDatabase : StorageTestDatabase
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wecom-test-" + Guid.NewGuid().ToString("N"));

    public string FilePath => Path.Combine(_root, "data", "wecom.db");

    public override StorageOptions Options => new()
    {
        Provider = StorageProvider.Sqlite,
        ConnectionString = $"Data Source={FilePath}",
        ApplySchema = true,
    };

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return Task.CompletedTask;
    }

}

/// <summary>A fresh database <c>wecom_test_…</c> on the server named by <c>WECOM_TEST_POSTGRES</c>.</summary>
public sealed class PostgreSqlTestDatabase : StorageTestDatabase
{
    public const string EnvironmentVariable = "WECOM_TEST_POSTGRES";

    private readonly string _name = "wecom_test_" + Guid.NewGuid().ToString("N")[..12];
    private string? _server;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(Server) { Database = _name }.ConnectionString;

    public override StorageOptions Options => new()
    {
        Provider = StorageProvider.PostgreSql,
        ConnectionString = ConnectionString,
        ApplySchema = true,
    };

    private string Server => _server ?? throw new InvalidOperationException("The test database was not created.");

    public override async Task InitializeAsync()
    {
        _server = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(_server))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. The PostgreSQL storage tests need a server, e.g. " +
                $"{EnvironmentVariable}='Host=127.0.0.1;Port=25432;Username=postgres;Database=postgres' (scripts/test.sh starts one).");
        }

        await AdminAsync($"CREATE DATABASE {_name}");
    }

    public override async Task DisposeAsync()
    {
        if (_server is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }


    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

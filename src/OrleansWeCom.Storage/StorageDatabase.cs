using Microsoft.Data.Sqlite;
using Npgsql;
using OrleansWeCom.Storage.Sqlite;

namespace OrleansWeCom.Storage;

/// <summary>
/// One database (a SQLite file, or the PostgreSQL database) and the components whose tables it holds. Connections come
/// from here with SQLite's per-connection tuning applied, and only once the schema is in place.
/// </summary>
public sealed class StorageDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly Func<CancellationToken, Task> _schemaReady;

    internal StorageDatabase(StorageProvider provider, string connectionString, string sqliteSynchronous,
        IReadOnlyList<StorageComponent> components, Func<CancellationToken, Task> schemaReady)
    {
        Provider = provider;
        ConnectionString = connectionString;
        SqliteSynchronous = Sqlite.SqliteSynchronous.Pragma(sqliteSynchronous, "Storage:SqliteSynchronous");
        Components = components;
        _schemaReady = schemaReady;
        if (provider == StorageProvider.PostgreSql) _postgres = NpgsqlDataSource.Create(connectionString);
    }

    public StorageProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>SQLite's <c>synchronous</c> on this database's connections unless a store asks for another.</summary>
    public string SqliteSynchronous { get; }

    public IReadOnlyList<StorageComponent> Components { get; }

    public bool IsPostgreSql => Provider == StorageProvider.PostgreSql;

    /// <summary>An open connection, once the schema is applied (or checked); on SQLite with the busy timeout and <c>synchronous</c>.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default, string? sqliteSynchronous = null)
    {
        await _schemaReady(cancellationToken).ConfigureAwait(false);
        return await OpenForSchemaAsync(cancellationToken, sqliteSynchronous).ConfigureAwait(false);
    }

    /// <summary>An open connection without waiting for the schema: for the installer itself.</summary>
    internal async Task<DbConnection> OpenForSchemaAsync(CancellationToken cancellationToken, string? sqliteSynchronous = null)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var pragma = Sql.Command(connection, SqliteTuning.ConnectionPragmas(sqliteSynchronous ?? SqliteSynchronous));
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Runs one query on a connection of its own and maps every row.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> map, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await Sql.QueryAsync(connection, sql, bind, map, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one statement on a connection of its own; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Sql.Command(connection, sql);
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync().ConfigureAwait(false);
    }
}

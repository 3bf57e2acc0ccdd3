using Microsoft.Data.Sqlite;

namespace OrleansWeCom.Storage;

/// <summary>What Orleans' ADO.NET providers are given for the configured database.</summary>
public static class StorageConnection
{
    // Orleans 10.4.2's ADO.NET providers only know the SQLite invariant "System.Data.SQLite"; they
    // load Microsoft.Data.Sqlite's factory for it. "Microsoft.Data.Sqlite" is rejected as unsupported.
    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>Commands wait this long for SQLite's write lock before "database is locked".</summary>
    public const int SqliteBusyTimeoutSeconds = 30;

    public static string Invariant(StorageOptions options) => options.Provider switch
    {
        StorageProvider.Sqlite => SqliteInvariant,
        StorageProvider.PostgreSql => PostgreSqlInvariant,
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown storage provider."),
    };

    /// <summary>The connection string handed to the providers; for SQLite with a busy timeout and the file's full path.</summary>
    public static string ConnectionString(StorageOptions options)
    {
        var connectionString = options.EffectiveConnectionString;
        if (options.Provider != StorageProvider.Sqlite)
        {
            return options.MaxPoolSize is { } pool
                ? new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = pool }.ConnectionString
                : connectionString;
        }

        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (!builder.ShouldSerialize("Default Timeout"))
        {
            // Microsoft.Data.Sqlite retries a busy database until the command timeout runs out.
            builder.DefaultTimeout = SqliteBusyTimeoutSeconds;
        }

        if (SqliteFile.PathOf(connectionString) is not null && !Path.IsPathRooted(builder.DataSource))
            builder.DataSource = Path.GetFullPath(builder.DataSource, options.BasePath ?? Directory.GetCurrentDirectory());

        return builder.ConnectionString;
    }

    /// <summary>
    /// On SQLite, the connection string of a file named <c>{database}-{name}</c> beside the grain-state file; on
    /// PostgreSQL, the database itself.
    /// </summary>
    /// <remarks>
    /// SQLite has one writer per file. The inbox (a commit before every callback's acknowledgement), the outbox (on every
    /// send's path) and the event log (one row per tenant event) each get a file of their own, so that their commits and
    /// grain-state writes proceed side by side instead of queueing for one lock.
    /// </remarks>
    public static string Sibling(StorageOptions options, string name)
    {
        var connectionString = ConnectionString(options);
        if (options.Provider != StorageProvider.Sqlite || SqliteFile.PathOf(connectionString) is not { } path) return connectionString;
        var file = $"{Path.GetFileNameWithoutExtension(path)}-{name}{Path.GetExtension(path)}";
        return new SqliteConnectionStringBuilder(connectionString) { DataSource = Path.Combine(Path.GetDirectoryName(path)!, file) }.ConnectionString;
    }
}

public static class SqliteFile
{
    /// <summary>The database file's full path, or null for an in-memory database.</summary>
    public static string? PathOf(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var dataSource = builder.DataSource;
        if (builder.Mode == SqliteOpenMode.Memory
            || string.IsNullOrWhiteSpace(dataSource)
            || dataSource == ":memory:"
            || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Path.GetFullPath(dataSource);
    }
}

using Microsoft.Data.Sqlite;

namespace OrleansWeCom.Storage.Sqlite;

/// <summary>How every SQLite file of ours is set up: WAL once per file, a busy timeout and <c>synchronous</c> per connection.</summary>
public static class SqliteTuning
{
    /// <summary>Commands wait this long for SQLite's write lock before "database is locked".</summary>
    public const int BusyTimeoutMilliseconds = StorageConnection.SqliteBusyTimeoutSeconds * 1000;

    /// <summary>
    /// Per connection: wait for another writer's lock inside SQLite instead of failing, and commit as configured (WAL with
    /// NORMAL keeps every commit through a crash of the process, FULL also through a power loss).
    /// </summary>
    public static string ConnectionPragmas(string synchronous) =>
        $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = {SqliteSynchronous.Pragma(synchronous, "Storage:SqliteSynchronous")};";

    /// <summary>Creates the file's directory and puts the file in WAL mode (stored in the file), so readers work beside the writer.</summary>
    /// <returns>The journal mode the file is in afterwards.</returns>
    public static async Task<string?> PrepareFileAsync(string connectionString, CancellationToken cancellationToken)
    {
        if (SqliteFile.PathOf(connectionString) is { } path && Path.GetDirectoryName(path) is { Length: > 0 } directory)
            Directory.CreateDirectory(directory);
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = Sql.Command(connection, "PRAGMA journal_mode = WAL;");
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }
}

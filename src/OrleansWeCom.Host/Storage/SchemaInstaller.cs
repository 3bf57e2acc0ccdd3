using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansWeCom.Host.Storage;

/// <summary>
/// Applies our schema script (<c>Storage/Sql/{Provider}.sql</c>) to the configured database. The script
/// is idempotent and records its version in <c>WeComSchemaVersion</c>; a database already at a newer
/// version is left alone. Concurrent silos are serialized: a transaction-scoped advisory lock on
/// PostgreSQL, an immediate (write-locking) transaction on SQLite.
/// </summary>
public sealed partial class SchemaInstaller(StorageOptions options, ILogger<SchemaInstaller> logger)
{
    public const string VersionTable = "WeComSchemaVersion";
    public const string Component = "storage";

    // Any constant will do as long as every silo uses the same one: "WeComSch" in ASCII.
    private const long AdvisoryLockKey = 0x5765436F6D536368;

    /// <summary>Prepares the database and applies the script when <see cref="StorageOptions.ShouldApplySchema"/>.</summary>
    /// <returns>The schema version the database is at afterwards, or null when the schema was not applied.</returns>
    public async Task<int?> StartAsync(CancellationToken cancellationToken = default)
    {
        if (options.Provider == StorageProvider.Sqlite)
        {
            await PrepareSqliteFileAsync(cancellationToken);
        }

        if (!options.ShouldApplySchema)
        {
            LogSchemaNotApplied(options.Provider);
            return null;
        }

        return await InstallAsync(cancellationToken);
    }

    /// <summary>Applies the script for the configured provider unless the database is at a newer version.</summary>
    public async Task<int> InstallAsync(CancellationToken cancellationToken = default)
    {
        var script = Script(options.Provider);
        var scriptVersion = ScriptVersion(script);
        return options.Provider switch
        {
            StorageProvider.Sqlite => await InstallSqliteAsync(script, scriptVersion, cancellationToken),
            StorageProvider.PostgreSql => await InstallPostgreSqlAsync(script, scriptVersion, cancellationToken),
            _ => throw new InvalidOperationException($"Unknown storage provider {options.Provider}."),
        };
    }

    /// <summary>The embedded schema script for a provider.</summary>
    public static string Script(StorageProvider provider)
    {
        var assembly = typeof(SchemaInstaller).Assembly;
        var suffix = $".Storage.Sql.{provider}.sql";
        var name = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith(suffix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The schema script '{suffix}' is not embedded in {assembly.GetName().Name}.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The version a script declares in its first line, <c>-- wecom-schema-version: N</c>.</summary>
    public static int ScriptVersion(string script)
    {
        var match = VersionHeader().Match(script);
        return match.Success
            ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("The schema script does not start with '-- wecom-schema-version: N'.");
    }

    private async Task PrepareSqliteFileAsync(CancellationToken cancellationToken)
    {
        var connectionString = StorageConnection.ConnectionString(options);
        var path = SqliteFile.PathOf(connectionString)
            ?? throw new InvalidOperationException("Storage:ConnectionString for Sqlite needs a 'Data Source' file path.");
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // WAL lets grains read while another connection writes; the mode is stored in the file.
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        var mode = (string?)await command.ExecuteScalarAsync(cancellationToken);
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            LogJournalModeNotWal(path, mode);
        }
    }

    private async Task<int> InstallSqliteAsync(string script, int scriptVersion, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(StorageConnection.ConnectionString(options));
        await connection.OpenAsync(cancellationToken);
        // BEGIN IMMEDIATE: the write lock is held from the start, so a second silo waits here.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var result = await ApplyAsync(connection, transaction, script, scriptVersion, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private async Task<int> InstallPostgreSqlAsync(string script, int scriptVersion, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(StorageConnection.ConnectionString(options));
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var result = await ApplyAsync(connection, transaction, script, scriptVersion, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    private async Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, string script, int scriptVersion, CancellationToken cancellationToken)
    {
        var current = await CurrentVersionAsync(connection, transaction, cancellationToken);
        if (current > scriptVersion)
        {
            LogDatabaseIsNewer(options.Provider, current.Value, scriptVersion);
            return current.Value;
        }

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = script;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var applied = await CurrentVersionAsync(connection, transaction, cancellationToken);
        if (applied != scriptVersion)
        {
            throw new InvalidOperationException(
                $"The {options.Provider} schema script declares version {scriptVersion} but recorded {applied?.ToString(CultureInfo.InvariantCulture) ?? "none"} in {VersionTable}.");
        }

        LogSchemaApplied(options.Provider, scriptVersion, current);
        return scriptVersion;
    }

    private static async Task<int?> CurrentVersionAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        if (connection is NpgsqlConnection)
        {
            command.CommandText = $"SELECT to_regclass('{VersionTable.ToLowerInvariant()}') IS NOT NULL";
            if (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                return null;
            }
        }
        else
        {
            command.CommandText = $"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{VersionTable}'";
            if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
            {
                return null;
            }
        }

        command.CommandText = $"SELECT Version FROM {VersionTable} WHERE Component = '{Component}'";
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\A--\s*wecom-schema-version:\s*(\d+)")]
    private static partial Regex VersionHeader();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied the {Provider} storage schema version {Version} (was {Previous}).")]
    private partial void LogSchemaApplied(StorageProvider provider, int version, int? previous);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Provider} database is at storage schema version {Current}, newer than this build's {Script}; leaving it alone.")]
    private partial void LogDatabaseIsNewer(StorageProvider provider, int current, int script);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage:ApplySchema is off: the {Provider} schema is expected to be in place.")]
    private partial void LogSchemaNotApplied(StorageProvider provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite file {Path} stays in journal mode {Mode}, not WAL; concurrent grains may wait on each other.")]
    private partial void LogJournalModeNotWal(string path, string? mode);
}

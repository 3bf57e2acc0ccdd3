using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using OrleansWeCom.Storage.Sqlite;

namespace OrleansWeCom.Storage.Schema;

/// <summary>A schema script: <c>Schema/{provider}/{component}.v{version}.sql</c>, embedded and in the repository alike.</summary>
public sealed record SchemaScript(StorageProvider Provider, StorageComponent Component, int Version, string Path, string Text);

/// <summary>
/// The one schema installer, for Orleans' provider tables and ours alike. Each database records the version of each
/// component it holds in <c>WeComSchemaVersion</c>; the scripts newer than that are applied in order, in one
/// transaction per database, under one lock: <c>pg_advisory_lock</c> on PostgreSQL, <c>BEGIN IMMEDIATE</c> (the write
/// lock) on a SQLite file. With <see cref="StorageOptions.ShouldApplySchema"/> off it changes nothing and only checks
/// that an operator applied the scripts this build needs.
/// </summary>
public sealed partial class SchemaInstaller(StorageOptions options, IReadOnlyList<StorageDatabase> databases, ILogger<SchemaInstaller> logger)
{
    public const string VersionTable = "WeComSchemaVersion";

    // Any constant will do as long as every silo uses the same one: "WeComSch" in ASCII.
    private const long AdvisoryLockKey = 0x5765436F6D536368;

    /// <summary>Prepares SQLite files, then applies or checks the schema of every database.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        foreach (var database in databases)
        {
            if (database.IsPostgreSql) continue;
            var mode = await SqliteTuning.PrepareFileAsync(database.ConnectionString, cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase)) LogJournalModeNotWal(SqliteFile.PathOf(database.ConnectionString), mode);
        }

        if (!options.ShouldApplySchema)
        {
            await CheckAsync(cancellationToken);
            return;
        }

        foreach (var database in databases) await ApplyAsync(database, cancellationToken);
    }

    /// <summary>Every embedded script for <paramref name="provider"/>, by component and version.</summary>
    public static IReadOnlyList<SchemaScript> Scripts(StorageProvider provider)
    {
        var assembly = typeof(SchemaInstaller).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var match = ScriptName().Match(name);
            if (!match.Success || match.Groups["provider"].Value != provider.ToString()) continue;
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            var component = Enum.Parse<StorageComponent>(match.Groups["component"].Value, ignoreCase: true);
            scripts.Add(new SchemaScript(provider, component, int.Parse(match.Groups["version"].ValueSpan, CultureInfo.InvariantCulture),
                $"src/OrleansWeCom.Storage/{name}", reader.ReadToEnd()));
        }

        return [.. scripts.OrderBy(s => s.Component).ThenBy(s => s.Version)];
    }

    /// <summary>The version of <paramref name="component"/> this build needs.</summary>
    public static int LatestVersion(StorageProvider provider, StorageComponent component) =>
        Scripts(provider).Where(s => s.Component == component).Max(s => s.Version);

    /// <summary>The version of each of the database's components as recorded (0 where none is).</summary>
    public static async Task<Dictionary<StorageComponent, int>> VersionsAsync(StorageDatabase database, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenForSchemaAsync(cancellationToken);
        var versions = new Dictionary<StorageComponent, int>();
        foreach (var component in database.Components) versions[component] = await VersionAsync(connection, null, component, cancellationToken);
        return versions;
    }

    private async Task ApplyAsync(StorageDatabase database, CancellationToken cancellationToken)
    {
        var scripts = Scripts(database.Provider);
        await using var connection = await database.OpenForSchemaAsync(cancellationToken);
        if (database.IsPostgreSql) await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            // On SQLite BEGIN IMMEDIATE: the write lock is held from the start, so a second process waits here.
            await using var transaction = connection is SqliteConnection sqlite
                ? sqlite.BeginTransaction(deferred: false)
                : await connection.BeginTransactionAsync(cancellationToken);
            foreach (var component in database.Components)
            {
                var current = await VersionAsync(connection, transaction, component, cancellationToken);
                foreach (var script in scripts.Where(s => s.Component == component && s.Version > current))
                {
                    await ExecuteAsync(connection, transaction, script.Text, cancellationToken);
                    var recorded = await VersionAsync(connection, transaction, component, cancellationToken);
                    if (recorded != script.Version)
                        throw new InvalidOperationException($"{script.Path} recorded version {recorded} of {component.Name()} instead of {script.Version}.");
                    LogApplied(script.Path, current);
                    current = script.Version;
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            if (database.IsPostgreSql) await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>The no-DDL mode: every component must be at this build's version already.</summary>
    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var database in databases)
        {
            foreach (var (component, version) in await VersionsAsync(database, cancellationToken))
            {
                var needed = Scripts(database.Provider).Where(s => s.Component == component && s.Version > version).Select(s => s.Path).ToList();
                if (needed.Count > 0) missing.Add($"{component.Name()} is at version {version}: apply {string.Join(", ", needed)}");
            }
        }

        if (missing.Count > 0)
            throw new InvalidOperationException($"Storage:ApplySchema is off and the {options.Provider} schema is not in place ({string.Join("; ", missing)}).");
        LogChecked(options.Provider);
    }

    private static async Task<int> VersionAsync(DbConnection connection, DbTransaction? transaction, StorageComponent component, CancellationToken cancellationToken)
    {
        var exists = connection is SqliteConnection
            ? $"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{VersionTable}'"
            : $"SELECT to_regclass('{VersionTable.ToLowerInvariant()}') IS NOT NULL";
        await using var command = Sql.Command(connection, exists, transaction);
        if (!Convert.ToBoolean(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture)) return 0;
        command.CommandText = $"SELECT Version FROM {VersionTable} WHERE Component = @component";
        Sql.Add(command, "component", component.Name());
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : 0;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Sql.Command(connection, sql, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [GeneratedRegex(@"^Schema/(?<provider>\w+)/(?<component>\w+)\.v(?<version>\d+)\.sql$")]
    private static partial Regex ScriptName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Script} (the component was at version {Previous})")]
    private partial void LogApplied(string script, int previous);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage:ApplySchema is off: the {Provider} schema is at this build's versions")]
    private partial void LogChecked(StorageProvider provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite file {Path} stays in journal mode {Mode}, not WAL; readers may wait on the writer")]
    private partial void LogJournalModeNotWal(string? path, string? mode);
}

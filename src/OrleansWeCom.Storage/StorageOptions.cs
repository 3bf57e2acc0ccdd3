namespace OrleansWeCom.Storage;

/// <summary>Which database holds grain state and reminders (and, for PostgreSQL, cluster membership).</summary>
public enum StorageProvider
{
    /// <summary>The embedded run: one SQLite file, localhost clustering.</summary>
    Sqlite,

    /// <summary>A cluster: ADO.NET clustering, grain state and reminders on PostgreSQL.</summary>
    PostgreSql,
}

/// <summary>The <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public const string DefaultSqliteConnectionString = "Data Source=./data/orleanswecom.db";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The directory a relative SQLite <c>Data Source</c> is resolved against. The host sets it to its content root (the
    /// directory it was started in unless <c>--contentRoot</c> says otherwise); unset means the process's current directory.
    /// </summary>
    public string? BasePath { get; set; }

    /// <summary>ADO.NET connection string. Defaults to <see cref="DefaultSqliteConnectionString"/> for SQLite; required for PostgreSQL.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply the schema (Orleans' tables and ours) at start. Unset means on for SQLite and off for PostgreSQL, where an
    /// operator applies the scripts (<c>Schema/PostgreSql/*.sql</c>) and the silo only checks their versions.
    /// </summary>
    public bool? ApplySchema { get; set; }

    /// <summary>
    /// SQLite's <c>synchronous</c> for grain state, reminders and membership: NORMAL (the default, as the outbox and the
    /// event log use) keeps every commit through a crash of the silo's process, FULL also through a power loss or a crash
    /// of the machine, at the price of an fsync per grain write.
    /// </summary>
    public string SqliteSynchronous { get; set; } = Sqlite.SqliteSynchronous.Normal;

    /// <summary>
    /// On PostgreSQL, the most connections this silo's pool opens (Npgsql's <c>Maximum Pool Size</c>, which it replaces):
    /// a cluster's silos times this must fit under the server's <c>max_connections</c>. Unset keeps the connection string's.
    /// </summary>
    public int? MaxPoolSize { get; set; }

    public bool ShouldApplySchema => ApplySchema ?? Provider == StorageProvider.Sqlite;

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) && Provider == StorageProvider.Sqlite
            ? DefaultSqliteConnectionString
            : ConnectionString ?? string.Empty;
}

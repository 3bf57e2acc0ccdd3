using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansWeCom.Grains.Events;

/// <summary>What differs between SQLite and PostgreSQL for the event log: connections, DDL, row locks.</summary>
internal abstract class EventLogDialect : IDisposable
{
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    public abstract IReadOnlyList<string> Schema { get; }

    /// <summary>Appended to the counter read inside the insert transaction.</summary>
    public abstract string LockRow { get; }

    /// <summary>Makes an <c>ORDER BY</c> on text compare code points, as <see cref="StringComparer.Ordinal"/> does.</summary>
    public virtual string OrdinalCollation => "";

    /// <summary>Run first inside the schema transaction so that silos starting together do not race on DDL.</summary>
    public virtual string? SchemaLock => null;

    public virtual void Dispose()
    {
    }

    public static EventLogDialect Create(EventLogOptions options) => options.Provider switch
    {
        EventLogProvider.Sqlite => new SqliteDialect(options.EffectiveConnectionString, options.SqliteSynchronous),
        EventLogProvider.PostgreSql => new PostgreSqlDialect(options.EffectiveConnectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "unknown event log provider"),
    };
}

internal sealed class SqliteDialect : EventLogDialect
{
    private readonly string _connectionString;
    private readonly string _pragmas;

    public SqliteDialect(string connectionString, string synchronous)
    {
        _pragmas = $"PRAGMA busy_timeout = 30000; PRAGMA synchronous = {OrleansWeCom.SqliteSynchronous.Pragma(synchronous, "Events:SqliteSynchronous")};";
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.DataSource is { Length: > 0 } file && builder.Mode != SqliteOpenMode.Memory && file != ":memory:"
            && !file.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        _connectionString = builder.ConnectionString;
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // Per connection: wait for the writer lock instead of failing; WAL survives a process crash with NORMAL sync.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = _pragmas;
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    // SQLite has no row locks: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default) already makes the writer exclusive.
    public override string LockRow => "";

    public override IReadOnlyList<string> Schema { get; } =
    [
        "PRAGMA journal_mode = WAL",
        """
        CREATE TABLE IF NOT EXISTS wecom_event_counter (
            scope TEXT NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS wecom_event (
            tenant TEXT NOT NULL,
            tenant_seq INTEGER NOT NULL,
            account TEXT NOT NULL,
            account_seq INTEGER NOT NULL,
            msg_id TEXT NOT NULL,
            type TEXT NOT NULL,
            source TEXT NULL,
            user_id TEXT NULL,
            wx_id TEXT NULL,
            ts INTEGER NOT NULL,
            data TEXT NULL,
            send_msg_id TEXT NULL,
            conversation_id TEXT NULL,
            created_at INTEGER NOT NULL,
            delivery_state INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NULL,
            dead_at INTEGER NULL,
            replayed_at INTEGER NULL,
            PRIMARY KEY (tenant, tenant_seq)) WITHOUT ROWID
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_msg ON wecom_event (tenant, msg_id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_account ON wecom_event (tenant, account, account_seq)",
        "CREATE INDEX IF NOT EXISTS ix_wecom_event_attention ON wecom_event (tenant, delivery_state, tenant_seq) WHERE delivery_state >= 2",
        "CREATE INDEX IF NOT EXISTS ix_wecom_event_created ON wecom_event (created_at)",
        """
        CREATE TABLE IF NOT EXISTS wecom_webhook (
            tenant TEXT NOT NULL PRIMARY KEY,
            url TEXT NOT NULL,
            secret TEXT NOT NULL,
            watermark INTEGER NOT NULL,
            updated_at INTEGER NOT NULL)
        """,
    ];
}

internal sealed class PostgreSqlDialect(string connectionString) : EventLogDialect
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    // Counter rows are locked in scope order, so concurrent silos never deadlock and commit in sequence order.
    public override string LockRow => " FOR UPDATE";

    public override string OrdinalCollation => " COLLATE \"C\"";

    public override string? SchemaLock => "SELECT pg_advisory_xact_lock(7273610001)";

    public override void Dispose() => _dataSource.Dispose();

    public override IReadOnlyList<string> Schema { get; } =
    [
        """
        CREATE TABLE IF NOT EXISTS wecom_event_counter (
            scope text NOT NULL PRIMARY KEY,
            value bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS wecom_event (
            tenant text NOT NULL,
            tenant_seq bigint NOT NULL,
            account text NOT NULL,
            account_seq bigint NOT NULL,
            msg_id text NOT NULL,
            type text NOT NULL,
            source text NULL,
            user_id text NULL,
            wx_id text NULL,
            ts bigint NOT NULL,
            data text NULL,
            send_msg_id text NULL,
            conversation_id text NULL,
            created_at bigint NOT NULL,
            delivery_state smallint NOT NULL DEFAULT 0,
            attempts integer NOT NULL DEFAULT 0,
            last_error text NULL,
            dead_at bigint NULL,
            replayed_at bigint NULL,
            PRIMARY KEY (tenant, tenant_seq))
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_msg ON wecom_event (tenant, msg_id)",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_account ON wecom_event (tenant, account, account_seq)",
        "CREATE INDEX IF NOT EXISTS ix_wecom_event_attention ON wecom_event (tenant, delivery_state, tenant_seq) WHERE delivery_state >= 2",
        "CREATE INDEX IF NOT EXISTS ix_wecom_event_created ON wecom_event (created_at)",
        """
        CREATE TABLE IF NOT EXISTS wecom_webhook (
            tenant text NOT NULL PRIMARY KEY,
            url text NOT NULL,
            secret text NOT NULL,
            watermark bigint NOT NULL,
            updated_at bigint NOT NULL)
        """,
    ];
}

using System.Data.Common;

namespace OrleansWeCom.Gateway.Callbacks;

/// <summary>
/// The inbox table, kept apart from Orleans' schema: one row per distinct callback, kept for the retention after
/// processing as the de-duplication. A chat message is identified by its server key (<c>{wxid}:{server_id}</c>), which
/// a host's retry of the envelope and a re-push under a new msgId both repeat; every other callback by its msgId.
/// Each row so enters one unique index, not two: the keys are random, so every entry costs a page write per commit.
/// Rows with processed_at null are the callbacks acknowledged to a host and not yet applied.
/// </summary>
public static class CallbackInboxSchema
{
    public const string Table = "wecom_callback_inbox";

    private const string Sqlite = $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            msg_id TEXT NOT NULL,
            server_key TEXT NULL,
            host_key TEXT NOT NULL,
            source TEXT NOT NULL,
            type TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            processed_at INTEGER NULL,
            outcome INTEGER NULL);
        DROP INDEX IF EXISTS ux_{Table}_msg_id;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_{Table}_unkeyed_msg_id ON {Table} (msg_id) WHERE server_key IS NULL;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_{Table}_server_key ON {Table} (server_key);
        CREATE INDEX IF NOT EXISTS ix_{Table}_pending ON {Table} (id) WHERE processed_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_{Table}_received_at ON {Table} (received_at);
        """;

    private const string PostgreSql = $"""
        SELECT pg_advisory_xact_lock(hashtext('{Table}'));
        CREATE TABLE IF NOT EXISTS {Table} (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            msg_id TEXT NOT NULL,
            server_key TEXT NULL,
            host_key TEXT NOT NULL,
            source TEXT NOT NULL,
            type TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            processed_at BIGINT NULL,
            outcome INTEGER NULL);
        DROP INDEX IF EXISTS ux_{Table}_msg_id;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_{Table}_unkeyed_msg_id ON {Table} (msg_id) WHERE server_key IS NULL;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_{Table}_server_key ON {Table} (server_key);
        CREATE INDEX IF NOT EXISTS ix_{Table}_pending ON {Table} (id) WHERE processed_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_{Table}_received_at ON {Table} (received_at);
        """;

    /// <summary>Creates the table and indexes if missing; safe to run on every start and from several silos at once.</summary>
    public static async Task EnsureAsync(DbConnection connection, CallbackStoreProvider provider, CancellationToken cancellationToken = default)
    {
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = provider == CallbackStoreProvider.Sqlite ? Sqlite : PostgreSql;
        await command.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }
}

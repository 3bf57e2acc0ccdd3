using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Sending;

/// <summary>One accepted send as it is stored: the outbox row.</summary>
public sealed record OutboxRow(
    string MsgId, string Tenant, string WxId, long Seq, SendKind Kind, string ConversationId, string Body, SendState State,
    int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? SettledAt,
    DateTimeOffset? NextAttemptAt, string? HostMsgId, int? ErrorCode, string? ErrorMessage, string? IdempotencyKey)
{
    public SendStatus ToStatus() => new(MsgId, new WxId(WxId), Kind, ConversationId, State, Attempts, EnqueuedAt, LastAttemptAt,
        SettledAt, HostMsgId, ErrorCode, ErrorMessage);
}

public sealed class OutboxStoreOptions
{
    public DbProviderFactory? Factory { get; set; }
    public string ConnectionString { get; set; } = "";

    /// <summary>SQLite's <c>synchronous</c> on the outbox's connections; the host passes <c>Storage:SqliteSynchronous</c>.</summary>
    public string SqliteSynchronous { get; set; } = OrleansWeCom.SqliteSynchronous.Normal;

    /// <summary>Rows written in one transaction at most.</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>Settled rows older than this are deleted.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// The outbox table, written with group commit: concurrent writers' rows go to the database in one transaction, and
/// each writer's task completes only when its row is durable. A row is inserted once, when it is accepted; every later
/// image updates only the columns a send changes.
/// </summary>
public sealed partial class OutboxStore(IOptions<OutboxStoreOptions> options, TimeProvider time, ILogger<OutboxStore> logger)
    : BackgroundService, IOutboxQueries
{
    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _schemaReady;
    private Writer? _writer;

    private const string Columns =
        "msg_id, tenant, wx_id, seq, kind, conversation_id, body, state, attempts, enqueued_at, last_attempt_at, settled_at, next_attempt_at, host_msg_id, error_code, error_message, idempotency_key";

    /// <summary>Every column, in the order <see cref="WriteAsync"/> binds an insert.</summary>
    private static readonly string[] InsertedColumns = Columns.Split(", ");

    /// <summary>The columns a send changes after acceptance, in the order <see cref="WriteAsync"/> binds an update.</summary>
    private static readonly string[] UpdatedColumns =
        ["state", "attempts", "last_attempt_at", "settled_at", "next_attempt_at", "host_msg_id", "error_code", "error_message"];

    private static readonly string InsertSql =
        $"INSERT INTO wecom_outbox ({Columns}) VALUES ({string.Join(", ", InsertedColumns.Select(c => "@" + c))})";

    private static readonly string UpdateSql =
        $"UPDATE wecom_outbox SET {string.Join(", ", UpdatedColumns.Select(c => $"{c} = @{c}"))} WHERE msg_id = @msg_id";

    /// <summary>The columns of a row being sent, which is unsettled and was so when queued: every column but <c>settled_at</c>.</summary>
    private static readonly string[] ProgressColumns = [.. UpdatedColumns.Where(c => c != "settled_at")];

    private static readonly int SettledAtIndex = Array.IndexOf(UpdatedColumns, "settled_at");

    /// <summary>
    /// The update of a row being sent (its "sending" mark, then the host's msgId). It leaves <c>settled_at</c> out: every
    /// index is partial on it, and SQLite maintains each index whose condition reads a column the statement sets, even to
    /// the value it had, so the full update moved entries of three indexes at each of a send's three writes.
    /// </summary>
    private static readonly string ProgressSql =
        $"UPDATE wecom_outbox SET {string.Join(", ", ProgressColumns.Select(c => $"{c} = @{c}"))} WHERE msg_id = @msg_id";

    /// <summary>An account's unsettled rows, read at its activation.</summary>
    internal const string OpenRowsSql = $"SELECT {Columns} FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NULL AND state IN (0, 1) ORDER BY seq";

    /// <summary>
    /// When an account's last settled send settled, read at its activation: with its open rows' attempts, the time its
    /// first send keeps the gap from. A settlement comes after its attempt, so counting from it is on the safe side, and
    /// one index entry answers (the latest attempt over all the account's rows would read its whole history).
    /// </summary>
    internal const string LastSettledSql = "SELECT MAX(settled_at) FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NOT NULL";

    /// <summary>
    /// An account's sends of unknown outcome settled since <c>@since</c>, read at its activation: a late echo of the
    /// host may still tell what became of them.
    /// </summary>
    internal const string RecentUnknownSql =
        $"SELECT {Columns} FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at >= @since AND state = 4 ORDER BY seq";

    /// <summary>An account's idempotency keys still answering, read at its activation.</summary>
    internal const string IdempotencyKeysSql =
        "SELECT idempotency_key, msg_id FROM wecom_outbox WHERE idempotency_key IS NOT NULL AND wx_id = @wx_id AND enqueued_at >= @since";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS wecom_outbox (
            msg_id VARCHAR(64) NOT NULL PRIMARY KEY,
            tenant VARCHAR(64) NOT NULL,
            wx_id VARCHAR(32) NOT NULL,
            seq BIGINT NOT NULL,
            kind INTEGER NOT NULL,
            conversation_id VARCHAR(80) NOT NULL,
            body TEXT NOT NULL,
            state INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            enqueued_at BIGINT NOT NULL,
            last_attempt_at BIGINT NULL,
            settled_at BIGINT NULL,
            next_attempt_at BIGINT NULL,
            host_msg_id VARCHAR(64) NULL,
            error_code INTEGER NULL,
            error_message TEXT NULL,
            idempotency_key VARCHAR(128) NULL);
        CREATE INDEX IF NOT EXISTS ix_wecom_outbox_open ON wecom_outbox (wx_id, seq) WHERE settled_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_wecom_outbox_account_settled ON wecom_outbox (wx_id, settled_at) WHERE settled_at IS NOT NULL;
        CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_outbox_idempotency_key ON wecom_outbox (wx_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_wecom_outbox_settled_at ON wecom_outbox (settled_at) WHERE settled_at IS NOT NULL;
        DROP INDEX IF EXISTS ix_wecom_outbox_account;
        DROP INDEX IF EXISTS ux_wecom_outbox_idempotency;
        DROP INDEX IF EXISTS ix_wecom_outbox_settled;
        """;

    // The indexes are partial so that a send's updates touch none of them until it settles: an open row enters the open
    // index when accepted and leaves it when settled, and only settled rows are in the cleanup's index and the account's
    // last-settled index. (Indexes on (wx_id, state, seq) and on every row's settled_at, as earlier versions kept, moved
    // at every state change.)

    /// <summary>Writes a newly accepted row; completes when it is durable.</summary>
    public Task InsertAsync(OutboxRow row) => Enqueue(row, insert: true);

    /// <summary>Writes the latest image of a row already inserted; completes when it is durable.</summary>
    public Task SaveAsync(OutboxRow row) => Enqueue(row, insert: false);

    private Task Enqueue(OutboxRow row, bool insert)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writes.Writer.TryWrite(new Write(row, insert, done))) done.SetException(new InvalidOperationException("the outbox is shutting down"));
        return done.Task;
    }

    private readonly record struct Write(OutboxRow Row, bool Insert, TaskCompletionSource Done);

    /// <summary>
    /// Unsettled rows of one account in acceptance order; the time of its last attempt (or of the settlement that
    /// followed it, which is later); its idempotency keys since <paramref name="idempotencySince"/>; and its sends of
    /// unknown outcome settled since <paramref name="unknownSince"/> (none when it is null).
    /// </summary>
    public async Task<(List<OutboxRow> Open, DateTimeOffset? LastAttempt, Dictionary<string, string> Idempotency, List<OutboxRow> Unknown)> LoadAccountAsync(
        string wxId, DateTimeOffset idempotencySince, DateTimeOffset? unknownSince = null, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        var open = new List<OutboxRow>();
        await using (var command = Command(connection, OpenRowsSql))
        {
            Add(command, "wx_id", wxId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) open.Add(Read(reader));
        }

        var last = open.Max(r => r.LastAttemptAt);
        await using (var command = Command(connection, LastSettledSql))
        {
            Add(command, "wx_id", wxId);
            if (await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull)
            {
                var settled = DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value));
                if (last is null || settled > last) last = settled;
            }
        }

        var keys = new Dictionary<string, string>();
        await using (var command = Command(connection, IdempotencyKeysSql))
        {
            Add(command, "wx_id", wxId);
            Add(command, "since", idempotencySince.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) keys[reader.GetString(0)] = reader.GetString(1);
        }

        var unknown = new List<OutboxRow>();
        if (unknownSince is { } since)
        {
            await using var command = Command(connection, RecentUnknownSql);
            Add(command, "wx_id", wxId);
            Add(command, "since", since.ToUnixTimeMilliseconds());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) unknown.Add(Read(reader));
        }

        return (open, last, keys, unknown);
    }

    /// <summary>Accounts with sends still waiting: woken at silo start so a crash does not leave them asleep.</summary>
    public async Task<List<string>> AccountsWithBacklogAsync(CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT DISTINCT wx_id FROM wecom_outbox WHERE settled_at IS NULL AND state = 0");
        var accounts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) accounts.Add(reader.GetString(0));
        return accounts;
    }

    public async Task<OutboxRow?> FindRowAsync(string msgId, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT {Columns} FROM wecom_outbox WHERE msg_id = @msg_id");
        Add(command, "msg_id", msgId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<(TenantId Tenant, SendStatus Status)?> FindAsync(string msgId, CancellationToken cancellationToken = default) =>
        await FindRowAsync(msgId, cancellationToken) is { } row ? (new TenantId(row.Tenant), row.ToStatus()) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await EnsureSchemaAsync(stoppingToken);
        var batch = new List<Write>();
        var lastCleanup = time.GetUtcNow();
        try
        {
            while (await _writes.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < options.Value.MaxBatch && _writes.Reader.TryRead(out var item)) batch.Add(item);
                await FlushAsync(batch, stoppingToken);
                batch.Clear();
                if (time.GetUtcNow() - lastCleanup > TimeSpan.FromMinutes(10))
                {
                    lastCleanup = time.GetUtcNow();
                    await CleanupAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Drain what was accepted before shutdown so no caller waits forever.
        _writes.Writer.TryComplete();
        while (_writes.Reader.TryRead(out var item)) batch.Add(item);
        if (batch.Count > 0) await FlushAsync(batch, CancellationToken.None);
        if (_writer is { } writer)
        {
            _writer = null;
            await writer.DisposeAsync();
        }
    }

    private async Task FlushAsync(List<Write> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0) return;
        try
        {
            await WriteAsync(batch, cancellationToken);
            foreach (var write in batch) write.Done.TrySetResult();
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad row must not fail its neighbours: write them one by one.
            LogBatchRetry(logger, batch.Count, e.Message);
            foreach (var write in batch)
            {
                try
                {
                    await WriteAsync([write], cancellationToken);
                    write.Done.TrySetResult();
                }
                catch (Exception single)
                {
                    write.Done.TrySetException(single);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var write in batch) write.Done.TrySetException(e);
        }
    }

    private async Task WriteAsync(IReadOnlyList<Write> writes, CancellationToken cancellationToken)
    {
        var writer = _writer ??= await Writer.OpenAsync(this, cancellationToken);
        try
        {
            await using var transaction = await writer.Connection.BeginTransactionAsync(cancellationToken);
            writer.Insert.Transaction = transaction;
            writer.Update.Transaction = transaction;
            writer.Progress.Transaction = transaction;
            foreach (var (row, insert, _) in writes)
            {
                var progress = !insert && row is { State: SendState.Sending, SettledAt: null };
                object?[] values = insert
                    ?
                    [
                        row.MsgId, row.Tenant, row.WxId, row.Seq, (int)row.Kind, row.ConversationId, row.Body, (int)row.State, row.Attempts,
                        row.EnqueuedAt.ToUnixTimeMilliseconds(), row.LastAttemptAt?.ToUnixTimeMilliseconds(), row.SettledAt?.ToUnixTimeMilliseconds(),
                        row.NextAttemptAt?.ToUnixTimeMilliseconds(), row.HostMsgId, row.ErrorCode, row.ErrorMessage, row.IdempotencyKey,
                    ]
                    :
                    [
                        (int)row.State, row.Attempts, row.LastAttemptAt?.ToUnixTimeMilliseconds(), row.SettledAt?.ToUnixTimeMilliseconds(),
                        row.NextAttemptAt?.ToUnixTimeMilliseconds(), row.HostMsgId, row.ErrorCode, row.ErrorMessage, row.MsgId,
                    ];
                var command = insert ? writer.Insert : progress ? writer.Progress : writer.Update;
                // The progress update binds the same values less settled_at.
                for (int i = 0, p = 0; i < values.Length; i++)
                    if (!progress || i != SettledAtIndex) command.Parameters[p++].Value = values[i] ?? DBNull.Value;
                if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
                    throw new InvalidOperationException($"outbox row {row.MsgId} was not {(insert ? "inserted" : "found to update")}");
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // A broken connection is not reused: the next batch opens a fresh one.
            _writer = null;
            await writer.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The one connection the write loop uses, with its statements prepared once: a statement prepared per batch cost
    /// more than the rows it wrote.
    /// </summary>
    private sealed class Writer(DbConnection connection, DbCommand insert, DbCommand update, DbCommand progress) : IAsyncDisposable
    {
        public DbConnection Connection { get; } = connection;
        public DbCommand Insert { get; } = insert;
        public DbCommand Update { get; } = update;
        public DbCommand Progress { get; } = progress;

        public static async Task<Writer> OpenAsync(OutboxStore store, CancellationToken cancellationToken)
        {
            var connection = await store.OpenAsync(cancellationToken);
            var insert = await PrepareAsync(connection, InsertSql, InsertedColumns, cancellationToken);
            var update = await PrepareAsync(connection, UpdateSql, [.. UpdatedColumns, "msg_id"], cancellationToken);
            var progress = await PrepareAsync(connection, ProgressSql, [.. ProgressColumns, "msg_id"], cancellationToken);
            return new Writer(connection, insert, update, progress);
        }

        /// <summary>One parameter per column, in the order WriteAsync fills them.</summary>
        private static async Task<DbCommand> PrepareAsync(DbConnection connection, string sql, IEnumerable<string> parameters, CancellationToken cancellationToken)
        {
            var command = Command(connection, sql);
            foreach (var name in parameters) Add(command, name, DBNull.Value);
            await command.PrepareAsync(cancellationToken);
            return command;
        }

        public async ValueTask DisposeAsync()
        {
            await Insert.DisposeAsync();
            await Update.DisposeAsync();
            await Progress.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    private async Task CleanupAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM wecom_outbox WHERE settled_at IS NOT NULL AND settled_at < @before");
        Add(command, "before", (time.GetUtcNow() - options.Value.Retention).ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady) return;
        await _schema.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady) return;
            await using var connection = await OpenAsync(cancellationToken);
            foreach (var statement in Schema.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await using var command = Command(connection, statement);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            _schemaReady = true;
        }
        finally
        {
            _schema.Release();
        }
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var factory = options.Value.Factory ?? throw new InvalidOperationException("OutboxStoreOptions.Factory is not configured");
        var connection = factory.CreateConnection()!;
        connection.ConnectionString = options.Value.ConnectionString;
        await connection.OpenAsync(cancellationToken);
        if (connection.GetType().Name == "SqliteConnection")
        {
            // WAL with synchronous=NORMAL (the default) survives a process crash (what a silo crash is); it skips an
            // fsync per commit, which otherwise sits on every send's path.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={OrleansWeCom.SqliteSynchronous.Pragma(options.Value.SqliteSynchronous, "Storage:SqliteSynchronous")}; PRAGMA busy_timeout=30000";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        // Named as the SQL writes it: Microsoft.Data.Sqlite looks a bare name up once per possible prefix on every bind.
        parameter.ParameterName = name[0] == '@' ? name : "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static OutboxRow Read(DbDataReader r)
    {
        DateTimeOffset? Time(int i) => r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        return new OutboxRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), (SendKind)r.GetInt32(4), r.GetString(5),
            r.GetString(6), (SendState)r.GetInt32(7), r.GetInt32(8), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)), Time(10), Time(11),
            Time(12), Text(13), r.IsDBNull(14) ? null : r.GetInt32(14), Text(15), Text(16));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox batch of {Count} rows failed ({Error}); writing them one by one")]
    private static partial void LogBatchRetry(ILogger logger, int count, string error);
}

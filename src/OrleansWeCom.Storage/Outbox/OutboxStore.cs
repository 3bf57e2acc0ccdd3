using Microsoft.Extensions.Options;

namespace OrleansWeCom.Storage.Outbox;

public sealed class OutboxStoreOptions
{
    /// <summary>Rows written in one transaction at most.</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>Settled rows older than this are deleted.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// The outbox table (<see cref="StorageComponent.Outbox"/>), written with group commit: concurrent writers' rows go to the
/// database in one transaction, and each writer's task completes only when its row is durable. A row is inserted once,
/// when it is accepted; every later image updates only the columns a send changes.
/// </summary>
public sealed class OutboxStore : IOutboxQueries, IAsyncDisposable
{
    private static readonly TimeSpan CleanupEvery = TimeSpan.FromMinutes(10);

    private const string Columns =
        "msg_id, tenant, wx_id, seq, kind, conversation_id, body, state, attempts, enqueued_at, last_attempt_at, settled_at, next_attempt_at, host_msg_id, error_code, error_message, idempotency_key";

    /// <summary>Every column, in the order an insert binds them.</summary>
    private static readonly string[] InsertedColumns = Columns.Split(", ");

    /// <summary>The columns a send changes after acceptance, in the order an update binds them.</summary>
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
    /// the value it had.
    /// </summary>
    private static readonly string ProgressSql =
        $"UPDATE wecom_outbox SET {string.Join(", ", ProgressColumns.Select(c => $"{c} = @{c}"))} WHERE msg_id = @msg_id";

    /// <summary>An account's unsettled rows, read at its activation.</summary>
    internal const string OpenRowsSql = $"SELECT {Columns} FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NULL AND state IN (0, 1) ORDER BY seq";

    /// <summary>
    /// When an account's last settled send settled, read at its activation: with its open rows' attempts, the time its
    /// first send keeps the gap from. A settlement comes after its attempt, so counting from it is on the safe side, and
    /// one index entry answers.
    /// </summary>
    internal const string LastSettledSql = "SELECT MAX(settled_at) FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NOT NULL";

    /// <summary>An account's sends of unknown outcome settled since <c>@since</c>: a late echo of the host may still tell what became of them.</summary>
    internal const string RecentUnknownSql =
        $"SELECT {Columns} FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at >= @since AND state = 4 ORDER BY seq";

    /// <summary>An account's idempotency keys still answering, read at its activation.</summary>
    internal const string IdempotencyKeysSql =
        "SELECT idempotency_key, msg_id FROM wecom_outbox WHERE idempotency_key IS NOT NULL AND wx_id = @wx_id AND enqueued_at >= @since";

    private readonly StorageDatabase _database;
    private readonly OutboxStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly GroupCommitWriter<Write, bool> _writer;
    private long _lastCleanup;

    public OutboxStore(StorageDatabases databases, IOptions<OutboxStoreOptions> options, TimeProvider time, ILogger<OutboxStore> logger)
    {
        _database = databases[StorageComponent.Outbox];
        _options = options.Value;
        _time = time;
        _lastCleanup = time.GetTimestamp();
        // Not niced: a send's turn waits for its row.
        _writer = new GroupCommitWriter<Write, bool>(new GroupCommitOptions { Name = "outbox-writer", MaxBatch = _options.MaxBatch },
            ct => _database.OpenAsync(ct), WriteAsync, logger);
    }

    /// <summary>Writes a newly accepted row; completes when it is durable.</summary>
    public Task InsertAsync(OutboxRow row) => EnqueueAsync(new Write(row, Insert: true));

    /// <summary>Writes the latest image of a row already inserted; completes when it is durable.</summary>
    public Task SaveAsync(OutboxRow row) => EnqueueAsync(new Write(row, Insert: false));

    private Task EnqueueAsync(Write write)
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastCleanup)) > CleanupEvery)
        {
            Interlocked.Exchange(ref _lastCleanup, _time.GetTimestamp());
            _writer.Post(new Write(null, false, (_time.GetUtcNow() - _options.Retention).ToUnixTimeMilliseconds()));
        }

        return _writer.WriteAsync(write);
    }

    /// <summary>A row to insert or update, or (without a row) the deletion of rows settled before a time.</summary>
    private readonly record struct Write(OutboxRow? Row, bool Insert, long? DeleteSettledBefore = null);

    /// <summary>
    /// Unsettled rows of one account in acceptance order; the time of its last attempt (or of the settlement that
    /// followed it, which is later); its idempotency keys since <paramref name="idempotencySince"/>; and its sends of
    /// unknown outcome settled since <paramref name="unknownSince"/> (none when it is null).
    /// </summary>
    public async Task<(List<OutboxRow> Open, DateTimeOffset? LastAttempt, Dictionary<string, string> Idempotency, List<OutboxRow> Unknown)> LoadAccountAsync(
        string wxId, DateTimeOffset idempotencySince, DateTimeOffset? unknownSince = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        var open = await Sql.QueryAsync(connection, OpenRowsSql, c => Sql.Add(c, "wx_id", wxId), Read, cancellationToken);
        var last = open.Max(r => r.LastAttemptAt);
        var settled = (await Sql.QueryAsync(connection, LastSettledSql, c => Sql.Add(c, "wx_id", wxId), r => r.TimeOrNull(0), cancellationToken)).SingleOrDefault();
        if (settled > last || last is null) last = settled ?? last;
        var keys = (await Sql.QueryAsync(connection, IdempotencyKeysSql,
                c => { Sql.Add(c, "wx_id", wxId); Sql.Add(c, "since", idempotencySince.ToUnixTimeMilliseconds()); },
                r => (Key: r.GetString(0), MsgId: r.GetString(1)), cancellationToken))
            .ToDictionary(k => k.Key, k => k.MsgId);
        var unknown = unknownSince is { } since
            ? await Sql.QueryAsync(connection, RecentUnknownSql,
                c => { Sql.Add(c, "wx_id", wxId); Sql.Add(c, "since", since.ToUnixTimeMilliseconds()); }, Read, cancellationToken)
            : [];
        return (open, last, keys, unknown);
    }

    /// <summary>Accounts with sends still waiting: woken at silo start so a crash does not leave them asleep.</summary>
    public Task<List<string>> AccountsWithBacklogAsync(CancellationToken cancellationToken = default) =>
        _database.QueryAsync("SELECT DISTINCT wx_id FROM wecom_outbox WHERE settled_at IS NULL AND state = 0", _ => { }, r => r.GetString(0), cancellationToken);

    public async Task<OutboxRow?> FindRowAsync(string msgId, CancellationToken cancellationToken = default) =>
        (await _database.QueryAsync($"SELECT {Columns} FROM wecom_outbox WHERE msg_id = @msg_id", c => Sql.Add(c, "msg_id", msgId), Read, cancellationToken))
        .SingleOrDefault();

    public async Task<(TenantId Tenant, SendStatus Status)?> FindAsync(string msgId, CancellationToken cancellationToken = default) =>
        await FindRowAsync(msgId, cancellationToken) is { } row ? (new TenantId(row.Tenant), row.ToStatus()) : null;

    private static async Task<bool[]> WriteAsync(WriterSession session, IReadOnlyList<Write> writes, CancellationToken cancellationToken)
    {
        foreach (var (row, insert, deleteBefore) in writes)
        {
            if (row is null)
            {
                await using var delete = session.Command("DELETE FROM wecom_outbox WHERE settled_at IS NOT NULL AND settled_at < @before");
                Sql.Add(delete, "before", deleteBefore);
                await delete.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }

            var progress = !insert && row is { State: SendState.Sending, SettledAt: null };
            var command = insert ? await session.PreparedAsync(InsertSql, InsertedColumns, cancellationToken)
                : progress ? await session.PreparedAsync(ProgressSql, [.. ProgressColumns, "msg_id"], cancellationToken)
                : await session.PreparedAsync(UpdateSql, [.. UpdatedColumns, "msg_id"], cancellationToken);
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
            // The progress update binds the same values less settled_at.
            for (int i = 0, p = 0; i < values.Length; i++)
                if (!progress || i != SettledAtIndex) command.Parameters[p++].Value = values[i] ?? DBNull.Value;
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
                throw new InvalidOperationException($"outbox row {row.MsgId} was not {(insert ? "inserted" : "found to update")}");
        }

        return new bool[writes.Count];
    }

    private static OutboxRow Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), (SendKind)r.GetInt32(4), r.GetString(5), r.GetString(6),
            (SendState)r.GetInt32(7), r.GetInt32(8), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)), r.TimeOrNull(10), r.TimeOrNull(11),
            r.TimeOrNull(12), r.Text(13), r.IsDBNull(14) ? null : r.GetInt32(14), r.Text(15), r.Text(16));

    /// <summary>Writes what was accepted before shutdown, so no caller waits forever.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}

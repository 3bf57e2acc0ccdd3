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
public sealed partial class OutboxStore : IOutboxQueries, IAsyncDisposable
{
    private static readonly TimeSpan CleanupEvery = TimeSpan.FromMinutes(10);

    private const string Columns =
        "msg_id, tenant, wx_id, seq, kind, conversation_id, body, state, attempts, enqueued_at, last_attempt_at, settled_at, next_attempt_at, host_msg_id, error_code, error_message, idempotency_key";

    /// <summary>Every column, in the order an insert binds them.</summary>
    private static readonly string[] InsertedColumns = Columns.Split(", ");

    /// <summary>The columns a send changes after acceptance, in the order an update binds them.</summary>
    private static readonly string[] UpdatedColumns =
        ["state", "attempts", "last_attempt_at", "settled_at", "next_attempt_at", "host_msg_id", "error_code", "error_message"];

    /// <summary>An insert that does nothing when the tenant already used the row's idempotency key (the unique index).</summary>
    private static readonly string InsertSql =
        $"INSERT INTO wecom_outbox ({Columns}) VALUES ({string.Join(", ", InsertedColumns.Select(c => "@" + c))}) ON CONFLICT DO NOTHING";

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

    /// <summary>
    /// The "sending" mark as a conditional claim: it takes the row only while it is still queued at the attempt this
    /// activation read, so of two activations of one account (a partition, a silo declared dead while running) one sends.
    /// </summary>
    private static readonly string ClaimSql =
        $"UPDATE wecom_outbox SET {string.Join(", ", ProgressColumns.Select(c => $"{c} = @{c}"))} WHERE msg_id = @msg_id AND state = 0 AND attempts = @claimed_attempts";

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

    /// <summary>The send a tenant accepted under an idempotency key, as long as its row is kept.</summary>
    internal const string IdempotencyKeySql =
        $"SELECT {Columns} FROM wecom_outbox WHERE tenant = @tenant AND idempotency_key = @key";

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

    /// <summary>
    /// Writes a newly accepted row; completes when it is durable with true, or with false when its tenant already holds
    /// a row under its idempotency key (nothing is written then).
    /// </summary>
    public Task<bool> InsertAsync(OutboxRow row) => EnqueueAsync(new Write(row, Insert: true));

    /// <summary>Writes the latest image of a row already inserted; completes when it is durable.</summary>
    public Task SaveAsync(OutboxRow row) => EnqueueAsync(new Write(row, Insert: false));

    /// <summary>
    /// Writes the "sending" mark of <paramref name="sending"/> (its attempt counted) if the row is still queued at the
    /// attempt before; true when this caller claimed it, false when another writer had.
    /// </summary>
    public Task<bool> ClaimAsync(OutboxRow sending) =>
        sending is { State: SendState.Sending, SettledAt: null, Attempts: > 0 }
            ? EnqueueAsync(new Write(sending, Insert: false, Claim: true))
            : throw new ArgumentException("a claim writes a row being sent, with its attempt counted", nameof(sending));

    /// <summary>The row <paramref name="tenant"/> accepted under <paramref name="idempotencyKey"/>, if it is still kept.</summary>
    public async Task<OutboxRow?> FindByIdempotencyKeyAsync(string tenant, string idempotencyKey, CancellationToken cancellationToken = default) =>
        (await _database.QueryAsync(IdempotencyKeySql, c => { Sql.Add(c, "tenant", tenant); Sql.Add(c, "key", idempotencyKey); }, Read, cancellationToken))
        .SingleOrDefault();

    private Task<bool> EnqueueAsync(Write write)
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastCleanup)) > CleanupEvery)
        {
            Interlocked.Exchange(ref _lastCleanup, _time.GetTimestamp());
            _writer.Post(new Write(null, false, (_time.GetUtcNow() - _options.Retention).ToUnixTimeMilliseconds()));
        }

        return _writer.WriteAsync(write);
    }

    /// <summary>A row to insert or update, or (without a row) the deletion of rows settled before a time.</summary>
    private readonly record struct Write(OutboxRow? Row, bool Insert, long? DeleteSettledBefore = null, bool Claim = false);

    /// <summary>
    /// Unsettled rows of one account in acceptance order; the time of its last attempt (or of the settlement that
    /// followed it, which is later); and its sends of unknown outcome settled since <paramref name="unknownSince"/>
    /// (none when it is null).
    /// </summary>
    public async Task<(List<OutboxRow> Open, DateTimeOffset? LastAttempt, List<OutboxRow> Unknown)> LoadAccountAsync(
        string wxId, DateTimeOffset? unknownSince = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        var open = await Sql.QueryAsync(connection, OpenRowsSql, c => Sql.Add(c, "wx_id", wxId), Read, cancellationToken);
        var last = open.Max(r => r.LastAttemptAt);
        var settled = (await Sql.QueryAsync(connection, LastSettledSql, c => Sql.Add(c, "wx_id", wxId), r => r.TimeOrNull(0), cancellationToken)).SingleOrDefault();
        if (settled > last || last is null) last = settled ?? last;
        var unknown = unknownSince is { } since
            ? await Sql.QueryAsync(connection, RecentUnknownSql,
                c => { Sql.Add(c, "wx_id", wxId); Sql.Add(c, "since", since.ToUnixTimeMilliseconds()); }, Read, cancellationToken)
            : [];
        return (open, last, unknown);
    }

    /// <summary>Accounts with sends still waiting: woken at silo start so a crash does not leave them asleep.</summary>
    public Task<List<string>> AccountsWithBacklogAsync(CancellationToken cancellationToken = default) =>
        _database.QueryAsync("SELECT DISTINCT wx_id FROM wecom_outbox WHERE settled_at IS NULL AND state = 0", _ => { }, r => r.GetString(0), cancellationToken);

    /// <summary>An account's send settled since <paramref name="since"/> whose host msgId is <paramref name="hostMsgId"/>.</summary>
    public async Task<OutboxRow?> FindSettledByHostMsgIdAsync(string wxId, string hostMsgId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        (await _database.QueryAsync(
            $"SELECT {Columns} FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NOT NULL AND settled_at >= @since AND host_msg_id = @host_msg_id LIMIT 1",
            c => { Sql.Add(c, "wx_id", wxId); Sql.Add(c, "since", since.ToUnixTimeMilliseconds()); Sql.Add(c, "host_msg_id", hostMsgId); }, Read, cancellationToken))
        .SingleOrDefault();

    public async Task<OutboxRow?> FindRowAsync(string msgId, CancellationToken cancellationToken = default) =>
        (await _database.QueryAsync($"SELECT {Columns} FROM wecom_outbox WHERE msg_id = @msg_id", c => Sql.Add(c, "msg_id", msgId), Read, cancellationToken))
        .SingleOrDefault();

    public async Task<(TenantId Tenant, SendStatus Status)?> FindAsync(string msgId, CancellationToken cancellationToken = default) =>
        await FindRowAsync(msgId, cancellationToken) is { } row ? (new TenantId(row.Tenant), row.ToStatus()) : null;

    private static async Task<bool[]> WriteAsync(WriterSession session, IReadOnlyList<Write> writes, CancellationToken cancellationToken)
    {
        var results = new bool[writes.Count];
        for (var w = 0; w < writes.Count; w++)
        {
            var (row, insert, deleteBefore, claim) = writes[w];
            if (row is null)
            {
                await using var delete = session.Command("DELETE FROM wecom_outbox WHERE settled_at IS NOT NULL AND settled_at < @before");
                Sql.Add(delete, "before", deleteBefore);
                await delete.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }

            var progress = !insert && row is { State: SendState.Sending, SettledAt: null };
            var command = insert ? await session.PreparedAsync(InsertSql, InsertedColumns, cancellationToken)
                : claim ? await session.PreparedAsync(ClaimSql, [.. ProgressColumns, "msg_id", "claimed_attempts"], cancellationToken)
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
            var bound = 0;
            for (var i = 0; i < values.Length; i++)
                if (!(progress || claim) || i != SettledAtIndex) command.Parameters[bound++].Value = values[i] ?? DBNull.Value;
            if (claim) command.Parameters[bound].Value = row.Attempts - 1;
            var affected = await command.ExecuteNonQueryAsync(cancellationToken);
            // A claim lost to another writer, or an insert under a key already used, is an answer; any other miss a fault.
            if (affected != 1 && !claim && !insert)
                throw new InvalidOperationException($"outbox row {row.MsgId} was not found to update");
            results[w] = affected == 1;
        }

        return results;
    }

    private static OutboxRow Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), (SendKind)r.GetInt32(4), r.GetString(5), r.GetString(6),
            (SendState)r.GetInt32(7), r.GetInt32(8), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9)), r.TimeOrNull(10), r.TimeOrNull(11),
            r.TimeOrNull(12), r.Text(13), r.IsDBNull(14) ? null : r.GetInt32(14), r.Text(15), r.Text(16));

    /// <summary>Writes what was accepted before shutdown, so no caller waits forever.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}

using Npgsql;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Storage.Inbox;

/// <summary>A callback to store: what the stream queue and the de-duplication need, and the body as received.</summary>
/// <param name="TraceParent">The W3C traceparent of the span that accepted it, continued by its application and webhook delivery.</param>
public sealed record IncomingCallback(string MsgId, string? ServerKey, string HostKey, string Source, string Type, string Body, string? Stream = null, int Queue = 0,
    string? TraceParent = null);

/// <summary>A stored callback; <paramref name="Stream"/> is the key of the stream it travels on.</summary>
public sealed record StoredRow(long Id, string HostKey, string Stream, string Body, long ReceivedAt, string? TraceParent = null);

public sealed record InboxCounts(long Pending, long Processed, IReadOnlyDictionary<CallbackOutcome, long> ByOutcome);

/// <summary>The inbox table (<see cref="StorageComponent.Inbox"/>): its statements, with parameters only.</summary>
public sealed partial class CallbackInboxStore(StorageDatabases databases)
{
    private const string T = "wecom_callback_inbox";

    private const string InsertSql = $"""
        INSERT INTO {T} (msg_id, server_key, host_key, source, type, body, received_at, queue, stream, trace_parent)
        VALUES (@msg_id, @server_key, @host_key, @source, @type, @body, @received_at, @queue, @stream, @trace_parent)
        ON CONFLICT DO NOTHING RETURNING id
        """;

    private static readonly string[] InsertParameters = ["msg_id", "server_key", "host_key", "source", "type", "body", "received_at", "queue", "stream", "trace_parent"];

    private const string RowColumns = "id, host_key, COALESCE(stream, source), body, received_at, trace_parent";

    private readonly StorageDatabase _database = databases[StorageComponent.Inbox];

    /// <summary>The advisory lock inbox writers share on PostgreSQL (any constant of ours; it spells "wecomibx").</summary>
    internal const long InsertLock = 0x7765636F6D696278;

    public StorageDatabase Database => _database;

    /// <summary>
    /// Inserts the callbacks and marks processed rows, in the writer's transaction. Returns the new row id of each
    /// callback, or null where its key (server key, or msgId when it has none) is already stored: a repeat.
    /// </summary>
    internal async Task<long?[]> WriteAsync(WriterSession session, IReadOnlyList<InboxWrite> writes, long now, CancellationToken cancellationToken)
    {
        var ids = new long?[writes.Count];
        if (_database.IsPostgreSql && writes.Any(w => w.Callback is not null))
        {
            // Readers follow each queue by id. Ids are drawn at insert and seen at commit, so two gateways committing in
            // the other order would let a reader pass a row before it appears; writers take turns instead, holding this
            // lock until their commit, so every queue's ids become visible in order.
            await using var turn = session.Command("SELECT pg_advisory_xact_lock(@lock)");
            Sql.Add(turn, "lock", InsertLock);
            await turn.ExecuteNonQueryAsync(cancellationToken);
        }

        for (var i = 0; i < writes.Count; i++)
        {
            if (writes[i].Callback is not { } c) continue;
            // server_key and trace_parent are typed up front: either may be null, and the prepared statement must take both.
            var insert = await session.PreparedAsync(InsertSql, InsertParameters, cancellationToken, command =>
            {
                command.Parameters[1].DbType = System.Data.DbType.String;
                command.Parameters[9].DbType = System.Data.DbType.String;
            });
            var p = insert.Parameters;
            (p[0].Value, p[1].Value, p[2].Value, p[3].Value, p[4].Value, p[5].Value, p[6].Value, p[7].Value, p[8].Value, p[9].Value) =
                (c.MsgId, (object?)c.ServerKey ?? DBNull.Value, c.HostKey, c.Source, c.Type, c.Body, now, c.Queue, c.Stream ?? c.Source, (object?)c.TraceParent ?? DBNull.Value);
            ids[i] = await insert.ExecuteScalarAsync(cancellationToken) is { } id and not DBNull ? Convert.ToInt64(id) : null;
        }

        foreach (var group in writes.Where(w => w.Marks is not null).GroupBy(w => w.Outcome))
        {
            await using var mark = session.Command("");
            Sql.Add(mark, "at", now);
            Sql.Add(mark, "outcome", (int)group.Key);
            mark.CommandText = $"UPDATE {T} SET processed_at = @at, outcome = @outcome WHERE processed_at IS NULL AND id {InIds(mark, group.SelectMany(w => w.Marks!))}";
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        return ids;
    }

    /// <summary>
    /// <c>IN</c> over row ids as one parameter: a JSON array on SQLite, an array on PostgreSQL. SQLite finds a named
    /// parameter by walking the statement's list of names, so binding an id list of n parameters costs n² string compares.
    /// </summary>
    private string InIds(DbCommand command, IEnumerable<long> ids)
    {
        if (_database.IsPostgreSql)
        {
            command.Parameters.Add(new NpgsqlParameter<long[]>("ids", ids.ToArray()));
            return "= ANY(@ids)";
        }

        Sql.Add(command, "ids", "[" + string.Join(',', ids) + "]");
        return "IN (SELECT value FROM json_each(@ids))";
    }

    /// <summary>A stream queue's unprocessed rows after <paramref name="afterId"/>, in order.</summary>
    public Task<List<StoredRow>> LoadQueueAsync(int queue, long afterId, int limit, CancellationToken cancellationToken) =>
        _database.QueryAsync(
            $"SELECT {RowColumns} FROM {T} WHERE queue = @queue AND processed_at IS NULL AND id > @after ORDER BY id LIMIT @limit",
            c => { Sql.Add(c, "queue", queue); Sql.Add(c, "after", afterId); Sql.Add(c, "limit", limit); }, ReadRow, cancellationToken);

    /// <summary>Those of <paramref name="ids"/> still unprocessed (another silo may have applied them), in inbox order.</summary>
    public async Task<List<StoredRow>> LoadStillPendingAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = Sql.Command(connection, "");
        command.CommandText = $"SELECT {RowColumns} FROM {T} WHERE processed_at IS NULL AND id {InIds(command, ids)} ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<StoredRow>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(ReadRow(reader));
        return rows;
    }

    /// <summary>Deletes processed rows received before <paramref name="cutoff"/> in short transactions; returns how many.</summary>
    public async Task<long> CleanupAsync(long cutoff, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var n = await _database.ExecuteAsync(
                $"DELETE FROM {T} WHERE id IN (SELECT id FROM {T} WHERE received_at < @cutoff AND processed_at IS NOT NULL ORDER BY id LIMIT 5000)",
                c => Sql.Add(c, "cutoff", cutoff), cancellationToken);
            total += n;
            if (n < 5000) return total;
        }
    }

    public async Task<InboxCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        var rows = await _database.QueryAsync($"SELECT COALESCE(outcome, 0), COUNT(*) FROM {T} GROUP BY COALESCE(outcome, 0)", _ => { },
            r => (Outcome: (int)r.Long(0), Count: r.Long(1)), cancellationToken);
        var byOutcome = rows.Where(r => r.Outcome != 0).ToDictionary(r => (CallbackOutcome)r.Outcome, r => r.Count);
        return new InboxCounts(rows.Where(r => r.Outcome == 0).Sum(r => r.Count), byOutcome.Values.Sum(), byOutcome);
    }

    private static StoredRow ReadRow(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5));
}

/// <summary>One item of the inbox writer: a callback to store, or rows to mark processed with an outcome.</summary>
internal sealed record InboxWrite(IncomingCallback? Callback, IReadOnlyList<long>? Marks, CallbackOutcome Outcome);

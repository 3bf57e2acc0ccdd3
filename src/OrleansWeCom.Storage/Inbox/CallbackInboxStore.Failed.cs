using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Storage.Inbox;

/// <summary>A callback the routers marked <see cref="CallbackOutcome.Failed"/>, as an operator sees it.</summary>
public sealed record FailedCallback(long Id, string MsgId, string HostKey, string Source, string Type, string Body, long ReceivedAt, long? ProcessedAt);

/// <summary>The operator's view of failed callbacks and their re-drive.</summary>
public sealed partial class CallbackInboxStore
{
    /// <summary>Most rows one re-drive moves: a bound on the transaction, the caller asks again for the rest.</summary>
    public const int MaxRedrive = 1000;

    /// <summary>Rows this process inserted (queue, new id) without the inbox's writer, once committed: its receivers must read them.</summary>
    public event Action<IReadOnlyList<(int Queue, long Id)>>? InsertedOutsideWriter;

    /// <summary>Failed rows after <paramref name="afterId"/>, in inbox order.</summary>
    public Task<List<FailedCallback>> ListFailedAsync(long afterId, int limit, CancellationToken cancellationToken = default) =>
        _database.QueryAsync(
            $"SELECT id, msg_id, host_key, source, type, body, received_at, processed_at FROM {T} WHERE outcome = {(int)CallbackOutcome.Failed} AND id > @after ORDER BY id LIMIT @limit",
            c => { Sql.Add(c, "after", afterId); Sql.Add(c, "limit", limit); },
            r => new FailedCallback(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6),
                r.IsDBNull(7) ? null : r.GetInt64(7)),
            cancellationToken);

    /// <summary>
    /// Hands failed rows to the stream again: each is moved, in one transaction, to a new id at the tail of its queue,
    /// unprocessed, so the queue's reader (whose cursor is past the old id) reads it as it reads any new row. Only rows
    /// still marked failed move; <paramref name="ids"/> null re-drives the oldest <see cref="MaxRedrive"/>. Returns the
    /// old ids moved.
    /// </summary>
    public async Task<IReadOnlyList<long>> RedriveAsync(IReadOnlyList<long>? ids, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (_database.IsPostgreSql)
        {
            // The inbox writers' turn: ids must become visible in order to the queues' readers.
            await using var turn = Sql.Command(connection, "SELECT pg_advisory_xact_lock(@lock)", tx);
            Sql.Add(turn, "lock", InsertLock);
            await turn.ExecuteNonQueryAsync(cancellationToken);
        }

        var rows = new List<(long Id, object?[] Values)>();
        await using (var select = Sql.Command(connection, "", tx))
        {
            var filter = ids is null ? "" : $" AND id {InIds(select, ids)}";
            select.CommandText =
                $"SELECT id, msg_id, server_key, host_key, source, type, body, received_at, queue, stream, trace_parent FROM {T} " +
                $"WHERE outcome = {(int)CallbackOutcome.Failed}{filter} ORDER BY id LIMIT {MaxRedrive}";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = new object?[10];
                for (var i = 0; i < values.Length; i++) values[i] = reader.GetValue(i + 1);
                rows.Add((reader.GetInt64(0), values));
            }
        }

        if (rows.Count == 0) return [];
        var inserted = new List<(int Queue, long Id)>(rows.Count);
        await using (var delete = Sql.Command(connection, "", tx))
        {
            delete.CommandText = $"DELETE FROM {T} WHERE id {InIds(delete, rows.Select(r => r.Id))}";
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var insert = Sql.Command(connection,
            $"INSERT INTO {T} (msg_id, server_key, host_key, source, type, body, received_at, queue, stream, trace_parent) " +
            "VALUES (@msg_id, @server_key, @host_key, @source, @type, @body, @received_at, @queue, @stream, @trace_parent) RETURNING id", tx))
        {
            var parameters = InsertParameters.Select(name => Sql.Add(insert, name, null)).ToArray();
            parameters[1].DbType = System.Data.DbType.String;
            parameters[8].DbType = System.Data.DbType.String;
            parameters[9].DbType = System.Data.DbType.String;
            foreach (var (_, values) in rows)
            {
                for (var i = 0; i < values.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;
                var id = Convert.ToInt64(await insert.ExecuteScalarAsync(cancellationToken));
                inserted.Add((Convert.ToInt32(values[7]), id));
            }
        }

        await tx.CommitAsync(cancellationToken);
        InsertedOutsideWriter?.Invoke(inserted);
        return [.. rows.Select(r => r.Id)];
    }
}

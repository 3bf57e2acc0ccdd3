using Microsoft.Extensions.Options;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Storage.Events;

/// <summary>
/// The event log (<see cref="StorageComponent.Events"/>) on SQLite or PostgreSQL. Appends and delivery marks go through
/// one group-commit writer per silo. Sequence numbers come from counter rows read and advanced inside the insert
/// transaction: SQLite's writer lock and PostgreSQL's row locks (taken in scope order) make them gap-free and committed
/// in order per tenant and per account, whichever silo writes.
/// </summary>
public sealed partial class SqlEventLog : IEventLog, IAsyncDisposable
{
    private const string Columns =
        "tenant, tenant_seq, account, account_seq, msg_id, type, source, user_id, wx_id, ts, data, send_msg_id, conversation_id, created_at, delivery_state, replayed_at, attempts, last_error, next_attempt_at, trace_parent";

    private readonly StorageDatabase _database;
    private readonly TimeProvider _time;
    private readonly GroupCommitWriter<Write, bool> _writer;
    private readonly long _maxReadBytes;

    /// <summary>PostgreSQL locks counter rows, read in scope order, so concurrent silos never deadlock and commit in sequence order; SQLite's writer lock already makes the writer exclusive.</summary>
    private readonly string _lockRow;

    /// <summary>Makes an <c>ORDER BY</c> on text compare code points, as <see cref="StringComparer.Ordinal"/> does.</summary>
    private readonly string _ordinalCollation;

    public SqlEventLog(StorageDatabases databases, IOptions<EventLogOptions> options, TimeProvider time, ILogger<SqlEventLog> logger)
    {
        _database = databases[StorageComponent.Events];
        _time = time;
        _maxReadBytes = options.Value.MaxReadBytes;
        (_lockRow, _ordinalCollation) = _database.IsPostgreSql ? (" FOR UPDATE", " COLLATE \"C\"") : ("", "");
        // Niced: grains await an append only at their flush, so the log is written behind them.
        _writer = new GroupCommitWriter<Write, bool>(
            new GroupCommitOptions { Name = "event-log-writer", MaxBatch = options.Value.MaxBatchSize, Capacity = options.Value.QueueCapacity, Nice = true },
            ct => _database.OpenAsync(ct), WriteBatchAsync, logger);
    }

    /// <summary>One queued write: an event to append, or a statement to run in the next transaction.</summary>
    private sealed record Write(TenantEvent? Append, Func<WriterSession, CancellationToken, Task>? Statement);

    public Task<bool> AppendAsync(TenantEvent tenantEvent, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantEvent.MsgId);
        return _writer.WriteAsync(new Write(tenantEvent, null), cancellationToken);
    }

    public Task MarkDeliveredAsync(TenantId tenant, IReadOnlyCollection<long> tenantSeqs, CancellationToken cancellationToken = default)
    {
        if (tenantSeqs.Count == 0) return Task.CompletedTask;
        var seqs = tenantSeqs.ToArray();
        return _writer.WriteAsync(new Write(null, async (session, ct) =>
        {
            await using var update = session.Command(
                "UPDATE wecom_event SET delivery_state = 1 WHERE tenant = @t AND tenant_seq = @s AND delivery_state IN (0, 3)");
            Sql.Add(update, "@t", tenant.Value);
            var s = Sql.Add(update, "@s", 0L);
            foreach (var seq in seqs)
            {
                s.Value = seq;
                await update.ExecuteNonQueryAsync(ct);
            }
        }), cancellationToken);
    }

    public Task MarkDeadAsync(TenantId tenant, long tenantSeq, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(new Write(null, async (session, ct) =>
        {
            await using var update = session.Command(
                "UPDATE wecom_event SET delivery_state = 2, attempts = @a, last_error = @e, dead_at = @d WHERE tenant = @t AND tenant_seq = @s");
            Sql.Add(update, "@a", attempts);
            Sql.Add(update, "@e", lastError is { Length: > 1000 } ? lastError[..1000] : lastError);
            Sql.Add(update, "@d", at.ToUnixTimeMilliseconds());
            Sql.Add(update, "@t", tenant.Value);
            Sql.Add(update, "@s", tenantSeq);
            await update.ExecuteNonQueryAsync(ct);
        }), cancellationToken);

    private async Task<bool[]> WriteBatchAsync(WriterSession session, IReadOnlyList<Write> batch, CancellationToken ct)
    {
        var results = new bool[batch.Count];
        var appends = batch.Select((w, i) => (w.Append, Index: i)).Where(x => x.Append is not null).ToList();
        if (appends.Count > 0) await AppendBatchAsync(session, appends!, results, ct);
        foreach (var write in batch)
            if (write.Statement is { } statement)
                await statement(session, ct);
        return results;
    }

    private async Task AppendBatchAsync(WriterSession session, List<(TenantEvent Append, int Index)> appends, bool[] results, CancellationToken ct)
    {
        var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (e, _) in appends)
        {
            counters[TenantScope(e.Tenant)] = 0;
            counters[AccountScope(e.Tenant, EventAccounts.Of(e))] = 0;
        }

        // One statement per kind and chunk of scopes, not one per scope: on PostgreSQL each statement is a round trip.
        // Rows are locked in one order everywhere (chunks in ordinal order, rows within one by ORDER BY in the same
        // order, then FOR UPDATE), so two silos' batches cannot deadlock on them.
        foreach (var chunk in counters.Keys.ToList().Chunk(CounterChunk))
        {
            await using (var ensure = session.Command(
                $"INSERT INTO wecom_event_counter (scope, value) VALUES {string.Join(", ", chunk.Select((_, i) => $"(@s{i}, 0)"))} ON CONFLICT (scope) DO NOTHING"))
            {
                for (var i = 0; i < chunk.Length; i++) Sql.Add(ensure, $"@s{i}", chunk[i]);
                await ensure.ExecuteNonQueryAsync(ct);
            }

            await using var read = session.Command(
                $"SELECT scope, value FROM wecom_event_counter WHERE scope IN ({string.Join(", ", chunk.Select((_, i) => $"@s{i}"))}) ORDER BY scope{_ordinalCollation}{_lockRow}");
            for (var i = 0; i < chunk.Length; i++) Sql.Add(read, $"@s{i}", chunk[i]);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) counters[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1));
        }

        var changed = new HashSet<string>(StringComparer.Ordinal);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var insert = session.Command(
            "INSERT INTO wecom_event (tenant, tenant_seq, account, account_seq, msg_id, type, source, user_id, wx_id, ts, data, send_msg_id, conversation_id, created_at, trace_parent) " +
            "VALUES (@tenant, @tseq, @account, @aseq, @msg, @type, @source, @user, @wx, @ts, @data, @send, @conv, @created, @trace) ON CONFLICT (tenant, msg_id) DO NOTHING"))
        {
            DbParameter P(string name) => Sql.Add(insert, name, null);
            var (tenant, tseq, account, aseq, msg, type, source, user, wx, ts, data, send, conv, created) =
                (P("@tenant"), P("@tseq"), P("@account"), P("@aseq"), P("@msg"), P("@type"), P("@source"), P("@user"), P("@wx"), P("@ts"), P("@data"), P("@send"), P("@conv"), P("@created"));
            var trace = P("@trace");
            trace.DbType = System.Data.DbType.String;
            foreach (var (e, index) in appends)
            {
                var tenantScope = TenantScope(e.Tenant);
                var accountName = EventAccounts.Of(e);
                var accountScope = AccountScope(e.Tenant, accountName);
                tenant.Value = e.Tenant.Value;
                tseq.Value = counters[tenantScope] + 1;
                account.Value = accountName;
                aseq.Value = counters[accountScope] + 1;
                msg.Value = e.MsgId;
                type.Value = e.Type;
                source.Value = (object?)e.Source ?? DBNull.Value;
                user.Value = (object?)e.UserId ?? DBNull.Value;
                wx.Value = (object?)e.WxId ?? DBNull.Value;
                ts.Value = e.Timestamp;
                data.Value = (object?)e.DataJson ?? DBNull.Value;
                send.Value = (object?)e.SendMsgId ?? DBNull.Value;
                conv.Value = (object?)e.ConversationId ?? DBNull.Value;
                created.Value = now;
                trace.Value = (object?)e.TraceParent ?? DBNull.Value;
                if (await insert.ExecuteNonQueryAsync(ct) != 1) continue; // the tenant has it already
                counters[tenantScope]++;
                counters[accountScope]++;
                changed.Add(tenantScope);
                changed.Add(accountScope);
                results[index] = true;
            }
        }

        foreach (var chunk in changed.Order(StringComparer.Ordinal).Chunk(CounterChunk))
        {
            await using var advance = session.Command(
                $"INSERT INTO wecom_event_counter (scope, value) VALUES {string.Join(", ", chunk.Select((_, i) => $"(@s{i}, @v{i})"))} " +
                "ON CONFLICT (scope) DO UPDATE SET value = excluded.value");
            for (var i = 0; i < chunk.Length; i++)
            {
                Sql.Add(advance, $"@s{i}", chunk[i]);
                Sql.Add(advance, $"@v{i}", counters[chunk[i]]);
            }

            await advance.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Counter scopes per statement: two parameters each stays far below either database's limit.</summary>
    private const int CounterChunk = 256;

    private static string TenantScope(TenantId tenant) => $"t|{tenant.Value}";

    private static string AccountScope(TenantId tenant, string account) => $"a|{tenant.Value}|{account}";

    public Task<EventPage<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns, "tenant = @t AND account = @a AND account_seq > @after", "account_seq",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@a", account); Sql.Add(c, "@after", afterSeq); Sql.Add(c, "@n", limit); },
            r => ReadStored(r).Entry, cancellationToken);

    public Task<EventPage<LoggedEvent>> ReadTenantAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns, "tenant = @t AND tenant_seq > @after", "tenant_seq",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@after", afterTenantSeq); Sql.Add(c, "@n", limit); },
            r => ReadStored(r).Entry, cancellationToken);

    public Task<EventPage<StoredEvent>> ReadPendingAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns, "tenant = @t AND tenant_seq > @after AND delivery_state = 0", "tenant_seq",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@after", afterTenantSeq); Sql.Add(c, "@n", limit); },
            ReadStored, cancellationToken);

    public Task<EventPage<StoredEvent>> ReadReplaysAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns, "tenant = @t AND delivery_state = 3 AND tenant_seq > @after", "tenant_seq",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@after", afterTenantSeq); Sql.Add(c, "@n", limit); },
            ReadStored, cancellationToken);

    public Task<EventPage<DeadLetter>> ReadDeadAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns + ", dead_at", "tenant = @t AND delivery_state = 2 AND tenant_seq > @after", "tenant_seq",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@after", afterTenantSeq); Sql.Add(c, "@n", limit); },
            r => new DeadLetter(ReadStored(r).Entry, Convert.ToInt32(r.GetValue(16)), r.IsDBNull(17) ? null : r.GetString(17), r.IsDBNull(20) ? 0 : Convert.ToInt64(r.GetValue(20))),
            cancellationToken);

    public async Task<int> RequeueDeadAsync(TenantId tenant, IReadOnlyList<string>? msgIds, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        const string Update = "UPDATE wecom_event SET delivery_state = 3, replayed_at = @at, attempts = 0, next_attempt_at = NULL WHERE tenant = @t AND delivery_state = 2";
        await using var update = Sql.Command(connection, msgIds is { Count: > 0 } ? Update + " AND msg_id = @m" : Update, tx);
        Sql.Add(update, "@at", at.ToUnixTimeMilliseconds());
        Sql.Add(update, "@t", tenant.Value);
        var count = 0;
        if (msgIds is { Count: > 0 })
        {
            var m = Sql.Add(update, "@m", "");
            foreach (var id in msgIds.Distinct(StringComparer.Ordinal))
            {
                m.Value = id;
                count += await update.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        else
        {
            count = await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return count;
    }

    public async Task<long> GetTenantHeadAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var rows = await _database.QueryAsync("SELECT value FROM wecom_event_counter WHERE scope = @s",
            c => Sql.Add(c, "@s", TenantScope(tenant)), r => r.Long(0), cancellationToken);
        return rows.Count > 0 ? rows[0] : 0;
    }

    public async Task<(long Pending, long Dead)> CountAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default)
    {
        var rows = await _database.QueryAsync(
            "SELECT (SELECT COUNT(*) FROM wecom_event WHERE tenant = @t AND ((tenant_seq > @w AND delivery_state = 0) OR delivery_state = 3)), " +
            "(SELECT COUNT(*) FROM wecom_event WHERE tenant = @t AND delivery_state = 2)",
            c => { Sql.Add(c, "@t", tenant.Value); Sql.Add(c, "@w", watermark); },
            r => (Convert.ToInt64(r.GetValue(0)), Convert.ToInt64(r.GetValue(1))), cancellationToken);
        return rows[0];
    }

    public async Task<WebhookRecord?> GetWebhookAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var rows = await _database.QueryAsync("SELECT url, secret, watermark, updated_at FROM wecom_webhook WHERE tenant = @t",
            c => Sql.Add(c, "@t", tenant.Value),
            r => new WebhookRecord(tenant, r.GetString(0), r.GetString(1), Convert.ToInt64(r.GetValue(2)), Convert.ToInt64(r.GetValue(3))),
            cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task SaveWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken = default) =>
        _database.ExecuteAsync(
            "INSERT INTO wecom_webhook (tenant, url, secret, watermark, updated_at) VALUES (@t, @u, @s, @w, @at) " +
            "ON CONFLICT (tenant) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at",
            c => { Sql.Add(c, "@t", webhook.Tenant.Value); Sql.Add(c, "@u", webhook.Url); Sql.Add(c, "@s", webhook.Secret); Sql.Add(c, "@w", webhook.Watermark); Sql.Add(c, "@at", webhook.UpdatedAt); },
            cancellationToken);

    public Task SaveWatermarkAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default) =>
        _database.ExecuteAsync("UPDATE wecom_webhook SET watermark = @w WHERE tenant = @t AND watermark < @w",
            c => { Sql.Add(c, "@w", watermark); Sql.Add(c, "@t", tenant.Value); }, cancellationToken);

    public async Task<IReadOnlyList<TenantId>> TenantsWithPendingAsync(CancellationToken cancellationToken = default) =>
        await _database.QueryAsync(
            "SELECT w.tenant FROM wecom_webhook w WHERE " +
            "EXISTS (SELECT 1 FROM wecom_event e WHERE e.tenant = w.tenant AND e.tenant_seq > w.watermark AND e.delivery_state = 0) " +
            "OR EXISTS (SELECT 1 FROM wecom_event e WHERE e.tenant = w.tenant AND e.delivery_state = 3)",
            _ => { }, r => new TenantId(r.GetString(0)), cancellationToken);

    public async Task<int> PruneAsync(DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        const int Chunk = 5_000;
        var total = 0;
        while (true)
        {
            var deleted = await _database.ExecuteAsync(
                "DELETE FROM wecom_event WHERE (tenant, tenant_seq) IN (SELECT tenant, tenant_seq FROM wecom_event WHERE created_at < @c AND delivery_state <> 3 LIMIT @n)",
                c => { Sql.Add(c, "@c", before.ToUnixTimeMilliseconds()); Sql.Add(c, "@n", Chunk); }, cancellationToken);
            total += deleted;
            if (deleted < Chunk) return total;
        }
    }

    private static StoredEvent ReadStored(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        long L(int i) => Convert.ToInt64(r.GetValue(i));
        var e = new TenantEvent(r.GetString(4), new TenantId(r.GetString(0)), r.GetString(5), S(6), S(7), S(8), L(9), S(10), S(11), S(12), S(19));
        var entry = new LoggedEvent(e, r.GetString(2), L(3), L(1), L(13));
        return new StoredEvent(entry, (DeliveryState)L(14), r.IsDBNull(15) ? null : L(15), (int)L(16), r.IsDBNull(18) ? null : L(18), S(17));
    }

    /// <summary>
    /// <c>SELECT {columns} FROM wecom_event WHERE {where} ORDER BY {order} LIMIT @n</c>, stopped after the row that
    /// reaches <see cref="EventLogOptions.MaxReadBytes"/> of event data. SQLite stops when the reader does; PostgreSQL
    /// would still send every row up to the limit, so there the query itself keeps only the rows to take and the one after.
    /// </summary>
    private async Task<EventPage<T>> ListAsync<T>(string columns, string where, string order, Action<DbCommand> bind, Func<DbDataReader, T> map,
        CancellationToken ct)
    {
        await using var connection = await _database.OpenAsync(ct);
        if (!_database.IsPostgreSql)
        {
            var (rows, more) = await Sql.QueryUpToAsync(connection, $"SELECT {columns} FROM wecom_event WHERE {where} ORDER BY {order} LIMIT @n",
                bind, map, DataLength, _maxReadBytes, ct);
            return new EventPage<T>(rows, more);
        }

        // The data before each row (read_before) and before the row ahead of it: the rows kept are those to take and the
        // one after, whose read_before tells that the page is cut. The server measures, so its encoding does not matter.
        const string Before = "COALESCE(SUM(octet_length(data)) OVER (ORDER BY {0} ROWS BETWEEN UNBOUNDED PRECEDING AND {1} PRECEDING), 0)";
        await using var command = Sql.Command(connection,
            $"SELECT * FROM (SELECT {columns}, {string.Format(Before, order, 1)} AS read_before, {string.Format(Before, order, 2)} AS read_before_previous " +
            $"FROM wecom_event WHERE {where} ORDER BY {order} LIMIT @n) page WHERE read_before_previous < @budget ORDER BY {order}");
        bind(command);
        Sql.Add(command, "@budget", _maxReadBytes);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var before = reader.GetOrdinal("read_before");
        var taken = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            if (taken.Count > 0 && reader.Long(before) >= _maxReadBytes) return new EventPage<T>(taken, true);
            taken.Add(map(reader));
        }

        return new EventPage<T>(taken, false);
    }

    private static long DataLength<T>(T row) => (row switch
    {
        LoggedEvent e => e.Event,
        StoredEvent s => s.Entry.Event,
        DeadLetter d => d.Entry.Event,
        _ => null,
    })?.DataJson is { } data ? System.Text.Encoding.UTF8.GetByteCount(data) : 0;

    /// <summary>Writes what is queued, then stops the writer.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}

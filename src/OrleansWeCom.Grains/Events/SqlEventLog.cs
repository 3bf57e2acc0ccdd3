using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OrleansWeCom.Threading;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Events;

/// <summary>
/// The event log on SQLite or PostgreSQL through plain ADO.NET. One writer per silo drains a queue into transactions
/// of many events (group commit). Sequence numbers come from counter rows read and advanced inside the insert
/// transaction: SQLite's writer lock and PostgreSQL's row locks (taken in scope order) make them gap-free and
/// committed in order per tenant and per account, whichever silo writes.
/// </summary>
public sealed partial class SqlEventLog : IEventLog, IAsyncDisposable
{
    private const string Columns =
        "tenant, tenant_seq, account, account_seq, msg_id, type, source, user_id, wx_id, ts, data, send_msg_id, conversation_id, created_at, delivery_state, replayed_at";

    private readonly EventLogDialect _dialect;
    private readonly EventLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SqlEventLog> _logger;
    private readonly Channel<Write> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private Task? _schema;
    private Task? _writer;

    /// <summary>
    /// The write loop's own thread, nicer than the silo's: the log is written behind the grains (they await the hand-over
    /// only at their flush), and on a busy silo its batches yield the processors to sends and requests.
    /// </summary>
    private BackgroundScheduler? _scheduler;
    private DbConnection? _writeConnection;
    private int _disposed;

    public SqlEventLog(IOptions<EventLogOptions> options, TimeProvider time, ILogger<SqlEventLog> logger)
    {
        _options = options.Value;
        _dialect = EventLogDialect.Create(_options);
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<Write>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>One queued write: an event to append, or a statement to run in the next transaction.</summary>
    private sealed class Write(TenantEvent? append, Func<DbConnection, DbTransaction, CancellationToken, Task>? statement)
    {
        public TenantEvent? Append { get; } = append;
        public Func<DbConnection, DbTransaction, CancellationToken, Task>? Statement { get; } = statement;
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async Task<bool> AppendAsync(TenantEvent tenantEvent, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantEvent.MsgId);
        return await EnqueueAsync(new Write(tenantEvent, null), cancellationToken).ConfigureAwait(false);
    }

    public Task MarkDeliveredAsync(TenantId tenant, IReadOnlyCollection<long> tenantSeqs, CancellationToken cancellationToken = default)
    {
        if (tenantSeqs.Count == 0) return Task.CompletedTask;
        var seqs = tenantSeqs.ToArray();
        return EnqueueAsync(new Write(null, async (connection, tx, ct) =>
        {
            await using var update = Command(connection, tx,
                "UPDATE wecom_event SET delivery_state = 1 WHERE tenant = @t AND tenant_seq = @s AND delivery_state IN (0, 3)");
            Add(update, "@t", tenant.Value);
            var s = Add(update, "@s", 0L);
            foreach (var seq in seqs)
            {
                s.Value = seq;
                await update.ExecuteNonQueryAsync(ct);
            }
        }), cancellationToken);
    }

    public Task MarkDeadAsync(TenantId tenant, long tenantSeq, int attempts, string? lastError, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        EnqueueAsync(new Write(null, async (connection, tx, ct) =>
        {
            await using var update = Command(connection, tx,
                "UPDATE wecom_event SET delivery_state = 2, attempts = @a, last_error = @e, dead_at = @d WHERE tenant = @t AND tenant_seq = @s");
            Add(update, "@a", attempts);
            Add(update, "@e", lastError is { Length: > 1000 } ? lastError[..1000] : lastError);
            Add(update, "@d", at.ToUnixTimeMilliseconds());
            Add(update, "@t", tenant.Value);
            Add(update, "@s", tenantSeq);
            await update.ExecuteNonQueryAsync(ct);
        }), cancellationToken);

    private async Task<bool> EnqueueAsync(Write write, CancellationToken cancellationToken)
    {
        EnsureWriter();
        // Library code: the callers' own awaits bring them back to their grain; ours need no context.
        await _queue.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        return await write.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void EnsureWriter()
    {
        if (_writer is not null) return;
        lock (_gate)
        {
            _scheduler ??= new BackgroundScheduler("event-log-writer");
            _writer ??= _scheduler.Run(() => WriteLoopAsync(_stopping.Token));
        }
    }

    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        var batch = new List<Write>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stopping))
            {
                batch.Clear();
                while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var write)) batch.Add(write);
                try
                {
                    await WriteBatchAsync(batch, stopping);
                }
                catch (Exception e) when (batch.Count > 1 && !stopping.IsCancellationRequested)
                {
                    // One bad write must not fail its neighbours: try each on its own.
                    LogBatchFailed(_logger, batch.Count, e.Message);
                    foreach (var write in batch)
                    {
                        try
                        {
                            await WriteBatchAsync([write], stopping);
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
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        while (reader.TryRead(out var left)) left.Done.TrySetCanceled(stopping);
        if (_writeConnection is { } connection)
        {
            _writeConnection = null;
            await connection.DisposeAsync();
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<Write> batch, CancellationToken ct)
    {
        await EnsureSchemaAsync(ct);
        // The write loop keeps one connection (opening one and setting its pragmas per batch was a measurable share of
        // a busy log's time); a failed batch drops it and the next one opens afresh.
        var connection = _writeConnection ??= await _dialect.OpenAsync(ct);
        var results = new bool[batch.Count];
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var appends = batch.Select((w, i) => (w.Append, Index: i)).Where(x => x.Append is not null).ToList();
            if (appends.Count > 0) await AppendBatchAsync(connection, tx, appends!, results, ct);
            foreach (var write in batch)
                if (write.Statement is { } statement)
                    await statement(connection, tx, ct);
            await tx.CommitAsync(ct);
        }
        catch
        {
            _writeConnection = null;
            await connection.DisposeAsync();
            throw;
        }

        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
    }

    private async Task AppendBatchAsync(DbConnection connection, DbTransaction tx, List<(TenantEvent Append, int Index)> appends, bool[] results, CancellationToken ct)
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
            await using (var ensure = Command(connection, tx,
                $"INSERT INTO wecom_event_counter (scope, value) VALUES {string.Join(", ", chunk.Select((_, i) => $"(@s{i}, 0)"))} ON CONFLICT (scope) DO NOTHING"))
            {
                for (var i = 0; i < chunk.Length; i++) Add(ensure, $"@s{i}", chunk[i]);
                await ensure.ExecuteNonQueryAsync(ct);
            }

            await using var read = Command(connection, tx,
                $"SELECT scope, value FROM wecom_event_counter WHERE scope IN ({string.Join(", ", chunk.Select((_, i) => $"@s{i}"))}) ORDER BY scope{_dialect.OrdinalCollation}{_dialect.LockRow}");
            for (var i = 0; i < chunk.Length; i++) Add(read, $"@s{i}", chunk[i]);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) counters[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1));
        }

        var changed = new HashSet<string>(StringComparer.Ordinal);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var insert = Command(connection, tx,
            "INSERT INTO wecom_event (tenant, tenant_seq, account, account_seq, msg_id, type, source, user_id, wx_id, ts, data, send_msg_id, conversation_id, created_at) " +
            "VALUES (@tenant, @tseq, @account, @aseq, @msg, @type, @source, @user, @wx, @ts, @data, @send, @conv, @created) ON CONFLICT (tenant, msg_id) DO NOTHING"))
        {
            DbParameter P(string name) => Add(insert, name, null);
            var (tenant, tseq, account, aseq, msg, type, source, user, wx, ts, data, send, conv, created) =
                (P("@tenant"), P("@tseq"), P("@account"), P("@aseq"), P("@msg"), P("@type"), P("@source"), P("@user"), P("@wx"), P("@ts"), P("@data"), P("@send"), P("@conv"), P("@created"));
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
            await using var advance = Command(connection, tx,
                $"INSERT INTO wecom_event_counter (scope, value) VALUES {string.Join(", ", chunk.Select((_, i) => $"(@s{i}, @v{i})"))} " +
                "ON CONFLICT (scope) DO UPDATE SET value = excluded.value");
            for (var i = 0; i < chunk.Length; i++)
            {
                Add(advance, $"@s{i}", chunk[i]);
                Add(advance, $"@v{i}", counters[chunk[i]]);
            }

            await advance.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Counter scopes per statement: two parameters each stays far below either database's limit.</summary>
    private const int CounterChunk = 256;

    private static string TenantScope(TenantId tenant) => $"t|{tenant.Value}";

    private static string AccountScope(TenantId tenant, string account) => $"a|{tenant.Value}|{account}";

    public Task<IReadOnlyList<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {Columns} FROM wecom_event WHERE tenant = @t AND account = @a AND account_seq > @after ORDER BY account_seq LIMIT @n",
            c => { Add(c, "@t", tenant.Value); Add(c, "@a", account); Add(c, "@after", afterSeq); Add(c, "@n", limit); },
            r => ReadStored(r).Entry, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadPendingAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {Columns} FROM wecom_event WHERE tenant = @t AND tenant_seq > @after AND delivery_state = 0 ORDER BY tenant_seq LIMIT @n",
            c => { Add(c, "@t", tenant.Value); Add(c, "@after", afterTenantSeq); Add(c, "@n", limit); },
            ReadStored, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ReadReplaysAsync(TenantId tenant, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {Columns} FROM wecom_event WHERE tenant = @t AND delivery_state = 3 ORDER BY tenant_seq LIMIT @n",
            c => { Add(c, "@t", tenant.Value); Add(c, "@n", limit); },
            ReadStored, cancellationToken);

    public Task<IReadOnlyList<DeadLetter>> ReadDeadAsync(TenantId tenant, long afterTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        QueryAsync(
            $"SELECT {Columns}, attempts, last_error, dead_at FROM wecom_event WHERE tenant = @t AND delivery_state = 2 AND tenant_seq > @after ORDER BY tenant_seq LIMIT @n",
            c => { Add(c, "@t", tenant.Value); Add(c, "@after", afterTenantSeq); Add(c, "@n", limit); },
            r => new DeadLetter(ReadStored(r).Entry, Convert.ToInt32(r.GetValue(16)), r.IsDBNull(17) ? null : r.GetString(17), r.IsDBNull(18) ? 0 : Convert.ToInt64(r.GetValue(18))),
            cancellationToken);

    public async Task<int> RequeueDeadAsync(TenantId tenant, IReadOnlyList<string>? msgIds, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await _dialect.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        const string Sql = "UPDATE wecom_event SET delivery_state = 3, replayed_at = @at, attempts = 0 WHERE tenant = @t AND delivery_state = 2";
        await using var update = Command(connection, tx, msgIds is { Count: > 0 } ? Sql + " AND msg_id = @m" : Sql);
        Add(update, "@at", at.ToUnixTimeMilliseconds());
        Add(update, "@t", tenant.Value);
        var count = 0;
        if (msgIds is { Count: > 0 })
        {
            var m = Add(update, "@m", "");
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
        var rows = await QueryAsync("SELECT value FROM wecom_event_counter WHERE scope = @s",
            c => Add(c, "@s", TenantScope(tenant)), r => Convert.ToInt64(r.GetValue(0)), cancellationToken);
        return rows.Count > 0 ? rows[0] : 0;
    }

    public async Task<(long Pending, long Dead)> CountAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync(
            "SELECT (SELECT COUNT(*) FROM wecom_event WHERE tenant = @t AND ((tenant_seq > @w AND delivery_state = 0) OR delivery_state = 3)), " +
            "(SELECT COUNT(*) FROM wecom_event WHERE tenant = @t AND delivery_state = 2)",
            c => { Add(c, "@t", tenant.Value); Add(c, "@w", watermark); },
            r => (Convert.ToInt64(r.GetValue(0)), Convert.ToInt64(r.GetValue(1))), cancellationToken);
        return rows[0];
    }

    public async Task<WebhookRecord?> GetWebhookAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        var rows = await QueryAsync("SELECT url, secret, watermark, updated_at FROM wecom_webhook WHERE tenant = @t",
            c => Add(c, "@t", tenant.Value),
            r => new WebhookRecord(tenant, r.GetString(0), r.GetString(1), Convert.ToInt64(r.GetValue(2)), Convert.ToInt64(r.GetValue(3))),
            cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task SaveWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken = default) =>
        ExecuteAsync(
            "INSERT INTO wecom_webhook (tenant, url, secret, watermark, updated_at) VALUES (@t, @u, @s, @w, @at) " +
            "ON CONFLICT (tenant) DO UPDATE SET url = excluded.url, secret = excluded.secret, updated_at = excluded.updated_at",
            c => { Add(c, "@t", webhook.Tenant.Value); Add(c, "@u", webhook.Url); Add(c, "@s", webhook.Secret); Add(c, "@w", webhook.Watermark); Add(c, "@at", webhook.UpdatedAt); },
            cancellationToken);

    public Task SaveWatermarkAsync(TenantId tenant, long watermark, CancellationToken cancellationToken = default) =>
        ExecuteAsync("UPDATE wecom_webhook SET watermark = @w WHERE tenant = @t AND watermark < @w",
            c => { Add(c, "@w", watermark); Add(c, "@t", tenant.Value); }, cancellationToken);

    public Task<IReadOnlyList<TenantId>> TenantsWithPendingAsync(CancellationToken cancellationToken = default) =>
        QueryAsync(
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
            var deleted = await ExecuteAsync(
                "DELETE FROM wecom_event WHERE (tenant, tenant_seq) IN (SELECT tenant, tenant_seq FROM wecom_event WHERE created_at < @c LIMIT @n)",
                c => { Add(c, "@c", before.ToUnixTimeMilliseconds()); Add(c, "@n", Chunk); }, cancellationToken);
            total += deleted;
            if (deleted < Chunk) return total;
        }
    }

    private static StoredEvent ReadStored(DbDataReader r)
    {
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        long L(int i) => Convert.ToInt64(r.GetValue(i));
        var e = new TenantEvent(r.GetString(4), new TenantId(r.GetString(0)), r.GetString(5), S(6), S(7), S(8), L(9), S(10), S(11), S(12));
        var entry = new LoggedEvent(e, r.GetString(2), L(3), L(1), L(13));
        return new StoredEvent(entry, (DeliveryState)L(14), r.IsDBNull(15) ? null : L(15));
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> map, CancellationToken ct)
    {
        await EnsureSchemaAsync(ct);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var command = Command(connection, null, sql);
        bind(command);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(map(reader));
        return rows;
    }

    private async Task<int> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken ct)
    {
        await EnsureSchemaAsync(ct);
        await using var connection = await _dialect.OpenAsync(ct);
        await using var command = Command(connection, null, sql);
        bind(command);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Creates the tables once per process with idempotent DDL; a failure is retried on the next call.</summary>
    public Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        var schema = _schema;
        if (schema is { IsCompletedSuccessfully: true }) return schema;
        lock (_gate)
        {
            if (_schema is null || _schema.IsFaulted || _schema.IsCanceled) _schema = CreateSchemaAsync();
            return _schema.WaitAsync(cancellationToken);
        }
    }

    private async Task CreateSchemaAsync()
    {
        await using var connection = await _dialect.OpenAsync(CancellationToken.None);
        foreach (var pragma in _dialect.Schema.Where(IsPragma))
        {
            await using var command = Command(connection, null, pragma);
            await command.ExecuteNonQueryAsync();
        }

        await using var tx = await connection.BeginTransactionAsync();
        if (_dialect.SchemaLock is { } lockSql)
        {
            await using var command = Command(connection, tx, lockSql);
            await command.ExecuteNonQueryAsync();
        }

        foreach (var ddl in _dialect.Schema.Where(s => !IsPragma(s)))
        {
            await using var command = Command(connection, tx, ddl);
            await command.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
        LogSchemaReady(_logger, _options.Provider.ToString());

        static bool IsPragma(string sql) => sql.StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase);
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
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

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IEventLog, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _queue.Writer.TryComplete();
        if (_writer is { } writer)
        {
            // Let queued writes finish, then stop.
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5), _time));
            await _stopping.CancelAsync();
            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
        _scheduler?.Dispose();
        _dialect.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event log batch of {Count} writes failed ({Error}); retrying them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log schema ready on {Provider}")]
    private static partial void LogSchemaReady(ILogger logger, string provider);
}

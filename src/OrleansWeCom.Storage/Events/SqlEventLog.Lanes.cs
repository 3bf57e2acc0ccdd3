using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Storage.Events;

/// <summary>What webhook delivery reads and writes per lane and per attempt.</summary>
public sealed partial class SqlEventLog
{
    /// <summary>The lane of a row, as <see cref="StoredEvent.LaneOf"/> computes it; ix_wecom_event_lane indexes this expression.</summary>
    private const string LaneExpression = "COALESCE(NULLIF(conversation_id, ''), 'account:' || account)";

    public Task<EventPage<StoredEvent>> ReadLaneAsync(TenantId tenant, string lane, long afterTenantSeq, long upToTenantSeq, int limit, CancellationToken cancellationToken = default) =>
        ListAsync(
            Columns, $"tenant = @t AND {LaneExpression} = @l AND delivery_state = 0 AND tenant_seq > @after AND tenant_seq <= @upto", "tenant_seq",
            c =>
            {
                Sql.Add(c, "@t", tenant.Value);
                Sql.Add(c, "@l", lane);
                Sql.Add(c, "@after", afterTenantSeq);
                Sql.Add(c, "@upto", upToTenantSeq);
                Sql.Add(c, "@n", limit);
            },
            ReadStored, cancellationToken);

    public Task RecordAttemptAsync(TenantId tenant, long tenantSeq, int attempts, string? lastError, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(new Write(null, async (session, ct) =>
        {
            await using var update = session.Command(
                "UPDATE wecom_event SET attempts = @a, last_error = @e, next_attempt_at = @n WHERE tenant = @t AND tenant_seq = @s AND delivery_state IN (0, 3)");
            Sql.Add(update, "@a", attempts);
            Sql.Add(update, "@e", lastError is { Length: > 1000 } ? lastError[..1000] : lastError);
            Sql.Add(update, "@n", nextAttemptAt.ToUnixTimeMilliseconds());
            Sql.Add(update, "@t", tenant.Value);
            Sql.Add(update, "@s", tenantSeq);
            await update.ExecuteNonQueryAsync(ct);
        }), cancellationToken);
}

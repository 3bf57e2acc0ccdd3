namespace OrleansWeCom.Storage.Outbox;

/// <summary>An account's send counters for the tenant's console.</summary>
public sealed partial class OutboxStore
{
    /// <summary>
    /// Two reads, each on one of the account's partial indexes (open rows; settled rows by time), so the cost is the
    /// account's open rows plus those settled in the window, never its whole history.
    /// </summary>
    private const string CountSql =
        "SELECT state, COUNT(*) FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NULL AND tenant = @tenant GROUP BY state " +
        "UNION ALL " +
        "SELECT state, COUNT(*) FROM wecom_outbox WHERE wx_id = @wx_id AND settled_at IS NOT NULL AND settled_at >= @since AND tenant = @tenant GROUP BY state";

    public async Task<SendCounts> CountAsync(TenantId tenant, WxId wxId, DateTimeOffset settledSince, CancellationToken cancellationToken = default)
    {
        var rows = await _database.QueryAsync(CountSql,
            c => { Sql.Add(c, "wx_id", wxId.Value); Sql.Add(c, "tenant", tenant.Value); Sql.Add(c, "since", settledSince.ToUnixTimeMilliseconds()); },
            r => (State: (SendState)r.Long(0), Count: r.Long(1)), cancellationToken);
        long Of(SendState state) => rows.Where(r => r.State == state).Sum(r => r.Count);
        return new SendCounts(Of(SendState.Queued), Of(SendState.Sending), Of(SendState.Sent), Of(SendState.Failed), Of(SendState.Unknown));
    }
}

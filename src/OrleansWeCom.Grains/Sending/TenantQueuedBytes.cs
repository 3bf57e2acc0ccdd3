using System.Collections.Concurrent;

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// The bytes of unsettled sends each tenant's accounts hold on this silo (two bytes a character, as held), kept in
/// memory as accounts add and settle sends; an activation that ends gives its share back. With
/// <see cref="ClusterTenantUsage"/> the other silos' figures, at most one sync interval old, are added for the limit.
/// </summary>
public sealed class TenantQueuedBytes(ClusterTenantUsage? cluster = null)
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    /// <summary>The tenant's bytes on this silo.</summary>
    public long Of(string tenant) => _bytes.GetValueOrDefault(tenant);

    /// <summary>The tenant's bytes on this silo plus those the other silos last reported.</summary>
    public long InCluster(string tenant) => Of(tenant) + (cluster?.OthersQueuedBytes(tenant) ?? 0);

    public void Add(string tenant, long bytes)
    {
        if (bytes == 0) return;
        var now = _bytes.AddOrUpdate(tenant, bytes, (_, held) => held + bytes);
        cluster?.NoteActive(tenant);
        // A tenant holding nothing leaves the map, so it stays as large as the tenants with sends in flight.
        if (now == 0) _bytes.TryRemove(new KeyValuePair<string, long>(tenant, 0));
    }
}

/// <summary>
/// An account's unsettled sends by msgId, reporting every body that comes and goes to the silo's
/// <see cref="TenantQueuedBytes"/> under the tenant the row was accepted for.
/// </summary>
internal sealed class OpenSends(TenantQueuedBytes ledger)
{
    private readonly Dictionary<string, OutboxRow> _rows = [];

    public IEnumerable<OutboxRow> Values => _rows.Values;

    public int Count => _rows.Count;

    public OutboxRow this[string msgId]
    {
        get => _rows[msgId];
        set
        {
            if (_rows.TryGetValue(msgId, out var old)) ledger.Add(old.Tenant, -Bytes(old));
            _rows[msgId] = value;
            ledger.Add(value.Tenant, Bytes(value));
        }
    }

    public bool TryGetValue(string msgId, out OutboxRow row) => _rows.TryGetValue(msgId, out row!);

    public bool Remove(string msgId)
    {
        if (!_rows.Remove(msgId, out var old)) return false;
        ledger.Add(old.Tenant, -Bytes(old));
        return true;
    }

    /// <summary>Gives every held body back to the ledger (the activation ends; its rows stay in the outbox).</summary>
    public void Release()
    {
        foreach (var row in _rows.Values) ledger.Add(row.Tenant, -Bytes(row));
        _rows.Clear();
    }

    private static long Bytes(OutboxRow row) => row.Body.Length * 2L;
}

using System.Collections.Concurrent;

namespace OrleansWeCom;

/// <summary>
/// This process's side of the cluster-wide tenant limits, read on the hot path without a grain call: the other
/// processes' latest figures per tenant (queued bytes, request weight), and this process's request count since its last
/// report. A background loop takes the reports of the tenants active here and applies the answers
/// (<see cref="TakeReports"/>, <see cref="Apply"/>). Figures older than <see cref="TenantUsageOptions.Expiry"/> count as none.
/// </summary>
public sealed class ClusterTenantUsage(TenantUsageOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _tenants = new(StringComparer.Ordinal);

    private sealed class Entry(long now)
    {
        public long Requests;
        public long LastActive = now;
        public long LastRequest;
        public long ReportedAt = now;
        public int Rate;
        public double RequestsPerSecond;
        public bool Measured;
        public bool LastReportIdle;
        public volatile Snapshot? Others;
    }

    private sealed record Snapshot(TenantUsageOfOthers Usage, long At);

    public TenantUsageOptions Options => options;

    /// <summary>Tenants this process reports for.</summary>
    public int ActiveTenants => _tenants.Count;

    /// <summary>
    /// Raised once when a tenant becomes active here (first seen, or seen again after it was forgotten): until the first
    /// exchange this process knows nothing of the others' figures, so the exchange loop runs one for it at once.
    /// </summary>
    public event Action<string>? TenantAppeared;

    /// <summary>Counts one request of <paramref name="tenant"/> (refused ones too: they are demand) under its limit.</summary>
    public void NoteRequest(string tenant, int rate)
    {
        var (entry, appeared) = Touch(tenant);
        entry.Rate = rate;
        Volatile.Write(ref entry.LastRequest, entry.LastActive);
        Interlocked.Increment(ref entry.Requests);
        if (appeared) TenantAppeared?.Invoke(tenant);
    }

    /// <summary>Marks the tenant active here (its queued bytes changed), so it is reported.</summary>
    /// <remarks>Called after the bytes changed, so that the first report of a tenant new here carries them.</remarks>
    public void NoteActive(string tenant)
    {
        if (Touch(tenant).Appeared) TenantAppeared?.Invoke(tenant);
    }

    /// <summary>The bytes other silos' accounts of the tenant hold, as last reported.</summary>
    public long OthersQueuedBytes(string tenant) => Fresh(tenant)?.QueuedBytes ?? 0;

    /// <summary>
    /// This gateway's permits per second of the tenant's <paramref name="rate"/>: the rate split in proportion to each
    /// gateway's recent demand, each weighted at least <see cref="TenantUsageOptions.MinRateShare"/> of the rate; the whole
    /// rate when no other gateway reported demand.
    /// </summary>
    public int RateShare(string tenant, int rate)
    {
        if (rate <= 0 || !_tenants.TryGetValue(tenant, out var entry)) return rate;
        var others = Fresh(entry);
        if (others is null || others.RequestWeight <= 0) return rate;
        var mine = Math.Max(entry.RequestsPerSecond, rate * options.MinRateShare);
        return Math.Max(1, (int)Math.Floor(rate * mine / (mine + others.RequestWeight)));
    }

    /// <summary>
    /// The report of every tenant active here: one with queued bytes or requests, or active within the expiry; an idle
    /// tenant is reported once more as idle (the grain then drops this process) and is forgotten after the expiry. The
    /// request weight is the demand per second, averaged halfway towards each new measure, and at least the floor.
    /// </summary>
    public IReadOnlyList<(string Tenant, TenantUsageReport Report)> TakeReports(Func<string, long> localQueuedBytes)
    {
        var now = time.GetTimestamp();
        var reports = new List<(string, TenantUsageReport)>();
        foreach (var (tenant, entry) in _tenants)
            if (TakeReport(tenant, entry, localQueuedBytes, now) is { } report)
                reports.Add((tenant, report));
        return reports;
    }

    /// <summary>The report of one tenant, as <see cref="TakeReports"/> takes it; null when it is not active here.</summary>
    public TenantUsageReport? TakeReport(string tenant, Func<string, long> localQueuedBytes) =>
        _tenants.TryGetValue(tenant, out var entry) ? TakeReport(tenant, entry, localQueuedBytes, time.GetTimestamp()) : null;

    private TenantUsageReport? TakeReport(string tenant, Entry entry, Func<string, long> localQueuedBytes, long now)
    {
        // The prompt exchange of a new tenant and the periodic one may take a report at once.
        lock (entry) return TakeReportLocked(tenant, entry, localQueuedBytes, now);
    }

    private TenantUsageReport? TakeReportLocked(string tenant, Entry entry, Func<string, long> localQueuedBytes, long now)
    {
        var requests = Interlocked.Exchange(ref entry.Requests, 0);
        var seconds = Math.Max(time.GetElapsedTime(entry.ReportedAt, now).TotalSeconds, options.SyncInterval.TotalSeconds);
        // Halfway towards the latest measure: the shares move slower than bursts, so the others' view of this
        // gateway's weight, up to one exchange old, stays close to the weight it takes its own share with.
        var measured = requests / seconds;
        entry.RequestsPerSecond = entry.Measured ? (entry.RequestsPerSecond + measured) / 2 : measured;
        entry.Measured = true;
        // A gateway keeps at least the floor until its tenant's requests have stopped for the expiry: a pause between
        // bursts does not hand its share to the others.
        var lastRequest = Volatile.Read(ref entry.LastRequest);
        var weight = lastRequest != 0 && time.GetElapsedTime(lastRequest, now) <= options.Expiry
            ? Math.Max(entry.RequestsPerSecond, entry.Rate * options.MinRateShare) : 0;
        var report = new TenantUsageReport(Math.Max(0, localQueuedBytes(tenant)), weight);
        if (report.IsIdle && entry.LastReportIdle && time.GetElapsedTime(Volatile.Read(ref entry.LastActive), now) > options.Expiry)
        {
            _tenants.TryRemove(new KeyValuePair<string, Entry>(tenant, entry));
            return null;
        }

        entry.ReportedAt = now;
        entry.LastReportIdle = report.IsIdle;
        return report;
    }

    /// <summary>Keeps the others' figures the usage grain answered.</summary>
    public void Apply(string tenant, TenantUsageOfOthers others)
    {
        if (_tenants.TryGetValue(tenant, out var entry)) entry.Others = new Snapshot(others, time.GetTimestamp());
    }

    private (Entry Entry, bool Appeared) Touch(string tenant)
    {
        var now = time.GetTimestamp();
        var appeared = false;
        if (!_tenants.TryGetValue(tenant, out var entry))
        {
            var fresh = new Entry(now);
            entry = _tenants.GetOrAdd(tenant, fresh);
            appeared = ReferenceEquals(entry, fresh);
        }

        Volatile.Write(ref entry.LastActive, now);
        return (entry, appeared);
    }

    private TenantUsageOfOthers? Fresh(string tenant) => _tenants.TryGetValue(tenant, out var entry) ? Fresh(entry) : null;

    private TenantUsageOfOthers? Fresh(Entry entry) =>
        entry.Others is { } s && time.GetElapsedTime(s.At) < options.Expiry ? s.Usage : null;
}

using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Quotas;

/// <summary>A tenant's figures from every process active for it, in memory (see <see cref="TenantUsageTable"/>).</summary>
public sealed class TenantUsageGrain(IOptions<TenantUsageOptions> options, TimeProvider time) : Grain, ITenantUsageGrain
{
    private readonly TenantUsageTable _table = new(options.Value, time);

    public Task<TenantUsageOfOthers> ExchangeAsync(string member, TenantUsageReport report) =>
        Task.FromResult(_table.Exchange(member, report));
}

/// <summary>
/// The latest report of each process: an exchange stores the caller's and answers the sum of the others' still within
/// the expiry. An idle report removes its process; so does silence past the expiry.
/// </summary>
public sealed class TenantUsageTable(TenantUsageOptions options, TimeProvider time)
{
    /// <summary>Processes are silos of the cluster; this bounds the map should member ids ever churn.</summary>
    public const int MaxMembers = 1024;

    private readonly Dictionary<string, (TenantUsageReport Report, long At)> _members = new(StringComparer.Ordinal);

    public int Members => _members.Count;

    public TenantUsageOfOthers Exchange(string member, TenantUsageReport report)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        var now = time.GetTimestamp();
        foreach (var (key, (_, at)) in _members)
            if (time.GetElapsedTime(at, now) >= options.Expiry) _members.Remove(key);

        if (report.IsIdle) _members.Remove(member);
        else if (_members.Count < MaxMembers || _members.ContainsKey(member)) _members[member] = (report, now);

        long bytes = 0;
        double weight = 0;
        var others = 0;
        foreach (var (key, (theirs, _)) in _members)
        {
            if (key == member) continue;
            bytes += theirs.QueuedBytes;
            weight += theirs.RequestWeight;
            others++;
        }

        return new TenantUsageOfOthers(bytes, weight, others);
    }
}

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// A sliding log of grants in time buckets. A grant at time g may be spent until g + lease, and the host then counts
/// it for a window W after the send; so a grant stays counted until g + lease + W (plus one bucket, because a grant
/// is filed under its bucket's start). Any rolling window at the host therefore sees at most the budget.
/// </summary>
public sealed class SlidingBudget(int budget, TimeSpan window, TimeSpan lease)
{
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(50);

    public TimeSpan Bucket { get; } = TimeSpan.FromTicks(Math.Max(window.Ticks / 720, TimeSpan.FromMilliseconds(5).Ticks));

    public int Budget => budget;

    /// <summary>How long a grant stays counted.</summary>
    public TimeSpan Horizon => window + lease + Bucket + Slack;

    public long BucketOf(DateTimeOffset at) => at.UtcTicks / Bucket.Ticks;

    public int Counted(IReadOnlyDictionary<long, int> buckets, DateTimeOffset now)
    {
        var oldest = BucketOf(now - Horizon);
        var sum = 0;
        foreach (var (bucket, count) in buckets)
            if (bucket >= oldest) sum += count;
        return sum;
    }

    public void Prune(IDictionary<long, int> buckets, DateTimeOffset now)
    {
        var oldest = BucketOf(now - Horizon);
        foreach (var bucket in buckets.Keys.Where(b => b < oldest).ToList()) buckets.Remove(bucket);
    }

    /// <summary>When the oldest counted grant stops counting.</summary>
    public TimeSpan UntilNextRelease(IReadOnlyDictionary<long, int> buckets, DateTimeOffset now)
    {
        var oldest = BucketOf(now - Horizon);
        var first = buckets.Where(b => b.Key >= oldest && b.Value > 0).Select(b => (long?)b.Key).Min();
        if (first is null) return TimeSpan.Zero;
        var releasedAt = new DateTimeOffset((first.Value + 1) * Bucket.Ticks, TimeSpan.Zero) + Horizon;
        var wait = releasedAt - now;
        return wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait;
    }
}

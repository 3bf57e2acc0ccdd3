namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// The corp budget as persisted: how many slots come free in each of about 720 steps of the window, each rounded up to
/// the end of its step. A restarted budget therefore frees a slot a step late at worst, never early.
/// </summary>
public static class CorpBudgetSnapshot
{
    public static TimeSpan Step(SendingOptions options) =>
        TimeSpan.FromTicks(Math.Max(options.CorpWindow.Ticks / 720, TimeSpan.FromMilliseconds(1).Ticks));

    /// <summary>When each busy slot comes free, at most one per slot of the budget.</summary>
    public static List<long> Restore(CorpBudgetState state, SendingOptions options)
    {
        var step = Step(options).Ticks;
        var freeAt = new List<long>();
        foreach (var (key, count) in state.Busy) freeAt.AddRange(Enumerable.Repeat(key * step, count));

        // Grants of the earlier format: counted from their time bucket for a window, a lease, a bucket and 50 ms.
        var legacyBucket = Math.Max(options.CorpWindow.Ticks / 720, TimeSpan.FromMilliseconds(5).Ticks);
        var legacyHorizon = (options.CorpWindow + options.EffectiveLeaseDuration + TimeSpan.FromMilliseconds(50)).Ticks + legacyBucket;
        foreach (var (bucket, count) in state.Buckets) freeAt.AddRange(Enumerable.Repeat((bucket + 1) * legacyBucket + legacyHorizon, count));

        // The latest first: were there more than the budget (it was lowered), the slots free last are the ones kept.
        freeAt.Sort((a, b) => b.CompareTo(a));
        return freeAt.Count > options.CorpSendsPerWindow ? freeAt[..options.CorpSendsPerWindow] : freeAt;
    }
}

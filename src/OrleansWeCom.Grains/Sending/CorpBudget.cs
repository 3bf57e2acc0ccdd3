namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// The arithmetic of a corp's rolling budget (<see cref="CorpBudgetGrain"/> persists it): grants counted in a
/// <see cref="SlidingBudget"/>, a retried request answered again instead of granted twice, and when demand exceeds what
/// is left, the rest split evenly among the accounts asking.
/// </summary>
public sealed class CorpBudget(SendingOptions options)
{
    private readonly SlidingBudget _window = new(options.CorpSendsPerWindow, options.CorpWindow, options.EffectiveLeaseDuration);

    /// <summary>Accounts refused recently, by when they asked: they share what is released next.</summary>
    private readonly Dictionary<string, DateTimeOffset> _waiting = [];

    /// <summary>
    /// Answers a request. <paramref name="changed"/> says the state must be written before the answer is given.
    /// <paramref name="jitter"/> (in [0, 1)) spreads refused accounts' retries.
    /// </summary>
    public BudgetLease Acquire(CorpBudgetState state, string account, int wanted, long sequence, DateTimeOffset now, double jitter, out bool changed)
    {
        changed = false;
        if (state.LastGrant.TryGetValue(account, out var last) && last.Sequence == sequence)
            return new BudgetLease(last.Tokens, last.UseBefore, TimeSpan.Zero, sequence);

        _window.Prune(state.Buckets, now);
        var available = Math.Max(0, _window.Budget - _window.Counted(state.Buckets, now));
        foreach (var stale in _waiting.Where(w => now - w.Value > options.EffectiveLeaseDuration * 2).Select(w => w.Key).ToList())
            _waiting.Remove(stale);

        var grant = Math.Min(Math.Max(0, wanted), available);
        var contenders = _waiting.Count + (_waiting.ContainsKey(account) ? 0 : 1);
        if (grant > 0 && contenders > 1 && available < wanted * contenders)
            grant = Math.Min(grant, Math.Max(1, available / contenders));

        if (grant == 0)
        {
            _waiting[account] = now;
            var retry = _window.UntilNextRelease(state.Buckets, now);
            if (retry == TimeSpan.Zero) retry = options.AccountSendInterval;
            retry += TimeSpan.FromMilliseconds(jitter * Math.Min(250, retry.TotalMilliseconds / 10));
            return new BudgetLease(0, now, retry, sequence);
        }

        _waiting.Remove(account);
        var bucket = _window.BucketOf(now);
        state.Buckets[bucket] = state.Buckets.GetValueOrDefault(bucket) + grant;
        var useBefore = now + options.EffectiveLeaseDuration;
        state.LastGrant[account] = new GrantRecord(sequence, grant, bucket, useBefore);
        changed = true;
        return new BudgetLease(grant, useBefore, TimeSpan.Zero, sequence);
    }

    /// <summary>Takes back tokens of the account's last grant that will not be used; true when the state changed.</summary>
    public bool Return(CorpBudgetState state, string account, long sequence, int unused, DateTimeOffset now)
    {
        if (unused <= 0 || !state.LastGrant.TryGetValue(account, out var last) || last.Sequence != sequence) return false;
        if (now >= last.UseBefore) return false;
        var give = Math.Min(unused, last.Tokens);
        if (give <= 0) return false;
        if (state.Buckets.TryGetValue(last.Bucket, out var count)) state.Buckets[last.Bucket] = Math.Max(0, count - give);
        state.LastGrant[account] = last with { Tokens = last.Tokens - give };
        return true;
    }

    public int Counted(CorpBudgetState state, DateTimeOffset now) => _window.Counted(state.Buckets, now);
}

using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Sending;

[GenerateSerializer]
public sealed class CorpBudgetState
{
    /// <summary>Granted tokens per time bucket (see <see cref="SlidingBudget"/>).</summary>
    [Id(0)] public Dictionary<long, int> Buckets { get; set; } = [];

    /// <summary>The last answer per account, so a retried request is answered again rather than granted twice.</summary>
    [Id(1)] public Dictionary<string, GrantRecord> LastGrant { get; set; } = [];
}

[GenerateSerializer]
public sealed record GrantRecord([property: Id(0)] long Sequence, [property: Id(1)] int Tokens, [property: Id(2)] long Bucket,
    [property: Id(3)] DateTimeOffset UseBefore);

/// <summary>
/// One corp's rolling budget. Grants are persisted before they are answered, so a restarted budget never forgets
/// what it already handed out. When demand exceeds the budget, the tokens left are split evenly among the accounts
/// asking, so every account of the corp progresses.
/// </summary>
public sealed class CorpBudgetGrain(
    [PersistentState("corpbudget", StorageNames.Grains)] IPersistentState<CorpBudgetState> state,
    IOptions<SendingOptions> options,
    TimeProvider time) : Grain, ICorpBudgetGrain
{
    private readonly SendingOptions _options = options.Value;
    private readonly Dictionary<string, DateTimeOffset> _waiting = [];
    private readonly SlidingBudget _window = new(options.Value.CorpSendsPerWindow, options.Value.CorpWindow, options.Value.EffectiveLeaseDuration);

    public async Task<BudgetLease> AcquireAsync(string account, int wanted, long sequence)
    {
        var now = time.GetUtcNow();
        var window = _window;
        if (state.State.LastGrant.TryGetValue(account, out var last) && last.Sequence == sequence)
            return new BudgetLease(last.Tokens, last.UseBefore, TimeSpan.Zero, sequence);

        window.Prune(state.State.Buckets, now);
        var available = window.Budget - window.Counted(state.State.Buckets, now);
        foreach (var stale in _waiting.Where(w => now - w.Value > _options.EffectiveLeaseDuration * 2).Select(w => w.Key).ToList())
            _waiting.Remove(stale);

        var grant = Math.Min(Math.Max(0, wanted), Math.Max(0, available));
        var contenders = _waiting.Count + (_waiting.ContainsKey(account) ? 0 : 1);
        if (grant > 0 && contenders > 1 && available < wanted * contenders)
            grant = Math.Min(grant, Math.Max(1, available / contenders));

        if (grant == 0)
        {
            _waiting[account] = now;
            var retry = window.UntilNextRelease(state.State.Buckets, now);
            if (retry == TimeSpan.Zero) retry = _options.AccountSendInterval;
            // Spread the waiters so they do not all come back in the same millisecond.
            retry += TimeSpan.FromMilliseconds(Random.Shared.Next(0, 1 + (int)Math.Min(250, retry.TotalMilliseconds / 10)));
            return new BudgetLease(0, now, retry, sequence);
        }

        _waiting.Remove(account);
        var bucket = window.BucketOf(now);
        state.State.Buckets[bucket] = state.State.Buckets.GetValueOrDefault(bucket) + grant;
        var useBefore = now + _options.EffectiveLeaseDuration;
        state.State.LastGrant[account] = new GrantRecord(sequence, grant, bucket, useBefore);
        await state.WriteStateAsync();
        return new BudgetLease(grant, useBefore, TimeSpan.Zero, sequence);
    }

    public async Task ReturnAsync(string account, long sequence, int unused)
    {
        if (unused <= 0 || !state.State.LastGrant.TryGetValue(account, out var last) || last.Sequence != sequence) return;
        if (time.GetUtcNow() >= last.UseBefore) return;
        var give = Math.Min(unused, last.Tokens);
        if (state.State.Buckets.TryGetValue(last.Bucket, out var count))
            state.State.Buckets[last.Bucket] = Math.Max(0, count - give);
        state.State.LastGrant[account] = last with { Tokens = last.Tokens - give };
        await state.WriteStateAsync();
    }

    public Task<(int Counted, int Budget)> GetUsageAsync() =>
        Task.FromResult((_window.Counted(state.State.Buckets, time.GetUtcNow()), _options.CorpSendsPerWindow));
}

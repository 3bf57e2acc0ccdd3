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
    private readonly CorpBudget _budget = new(options.Value);

    public async Task<BudgetLease> AcquireAsync(string account, int wanted, long sequence)
    {
        var lease = _budget.Acquire(state.State, account, wanted, sequence, time.GetUtcNow(), Random.Shared.NextDouble(), out var changed);
        if (changed) await state.WriteStateAsync();
        return lease;
    }

    public async Task ReturnAsync(string account, long sequence, int unused)
    {
        if (_budget.Return(state.State, account, sequence, unused, time.GetUtcNow())) await state.WriteStateAsync();
    }

    public Task<(int Counted, int Budget)> GetUsageAsync() =>
        Task.FromResult((_budget.Counted(state.State, time.GetUtcNow()), options.Value.CorpSendsPerWindow));
}

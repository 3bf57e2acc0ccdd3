using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Sending;

[GenerateSerializer]
public sealed class CorpBudgetState
{
    /// <summary>Grants per time bucket, as an earlier version kept them; read once, then written empty.</summary>
    [Id(0)] public Dictionary<long, int> Buckets { get; set; } = [];

    /// <summary>The last grant per account, so a retried request is answered again rather than granted twice.</summary>
    [Id(1)] public Dictionary<string, GrantRecord> LastGrant { get; set; } = [];

    /// <summary>Busy slots by the step of the window they come free at (see <see cref="CorpBudgetSnapshot"/>).</summary>
    [Id(2)] public Dictionary<long, int> Busy { get; set; } = [];
}

[GenerateSerializer]
public sealed record GrantRecord([property: Id(0)] long Sequence, [property: Id(1)] int Tokens, [property: Id(3)] DateTimeOffset UseBefore,
    [property: Id(4)] DateTimeOffset UsableFrom, [property: Id(5)] TimeSpan Spacing);

/// <summary>
/// One corp's rolling budget. Grants are persisted before they are answered, so a restarted budget never forgets what it
/// already handed out; reports and returns are applied in memory only (a restart forgets them on the safe side).
/// </summary>
public sealed class CorpBudgetGrain(
    [PersistentState("corpbudget", StorageNames.Grains)] IPersistentState<CorpBudgetState> state,
    IOptions<SendingOptions> options,
    TimeProvider time) : Grain, ICorpBudgetGrain
{
    private CorpBudget? _budget;

    private CorpBudget Budget => _budget ??= new CorpBudget(options.Value, state.State);

    public async Task<BudgetLease> AcquireAsync(string account, BudgetRequest request)
    {
        var now = time.GetUtcNow();
        var lease = Budget.Acquire(account, request, now, out var changed);
        if (changed)
        {
            Budget.WriteTo(state.State, options.Value, now);
            await state.WriteStateAsync();
        }

        return lease;
    }

    public Task ReturnAsync(string account, LeaseReport report)
    {
        Budget.Report(account, report, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<(int Counted, int Budget)> GetUsageAsync() =>
        Task.FromResult((Budget.Counted(time.GetUtcNow()), Budget.Budget));
}

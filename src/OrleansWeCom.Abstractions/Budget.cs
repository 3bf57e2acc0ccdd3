namespace OrleansWeCom;

/// <summary>Tokens granted to one account: usable until <see cref="UseBefore"/>, then void.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.BudgetLease")]
public sealed record BudgetLease(
    [property: Id(0)] int Tokens,
    [property: Id(1)] DateTimeOffset UseBefore,
    [property: Id(2)] TimeSpan RetryAfter,
    [property: Id(3)] long Sequence);

/// <summary>
/// A corp's rolling-window send budget (the seed: 50,000 per hour across all its accounts). Grants short leases so
/// an ordinary send needs no call here; a grant counts against the window from the moment it is granted until the
/// lease's last possible use has left the window, so no rolling window at the host ever exceeds the budget, even
/// when a holder dies without returning its lease.
/// </summary>
[Alias("OrleansWeCom.ICorpBudgetGrain")]
public interface ICorpBudgetGrain : IGrainWithStringKey
{
    /// <summary>
    /// Asks for up to <paramref name="wanted"/> tokens. <paramref name="sequence"/> is the caller's request number:
    /// a retried request with the same number gets the same answer instead of a second grant.
    /// </summary>
    [Alias("Acquire")] Task<BudgetLease> AcquireAsync(string account, int wanted, long sequence);

    /// <summary>Gives back tokens of a lease that will certainly not be used.</summary>
    [Alias("Return")] Task ReturnAsync(string account, long sequence, int unused);

    [AlwaysInterleave, Alias("Usage")] Task<(int Counted, int Budget)> GetUsageAsync();
}

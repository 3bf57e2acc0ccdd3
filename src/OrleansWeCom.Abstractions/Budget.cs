namespace OrleansWeCom;

/// <summary>
/// Tokens granted to one account, void from <see cref="UseBefore"/>: the n-th (from 0) is usable from
/// <see cref="UsableFrom"/> + n × <see cref="Spacing"/>, when the slot it was matched with has come free. A refusal has
/// no tokens and says when to ask again.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.BudgetLease")]
public sealed record BudgetLease(
    [property: Id(0)] int Tokens,
    [property: Id(1)] DateTimeOffset UseBefore,
    [property: Id(2)] TimeSpan RetryAfter,
    [property: Id(3)] long Sequence,
    [property: Id(4)] DateTimeOffset UsableFrom = default,
    [property: Id(5)] TimeSpan Spacing = default);

/// <summary>
/// A request for tokens: up to <see cref="Wanted"/>, to be sent one per <see cref="Spacing"/> (the account's pace as it
/// observes it), with the report of the lease it replaces. <see cref="Sequence"/> is the caller's request number: a
/// retried request with the same number gets the same answer instead of a second grant.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.BudgetRequest")]
public sealed record BudgetRequest(
    [property: Id(0)] int Wanted,
    [property: Id(1)] long Sequence,
    [property: Id(2)] TimeSpan Spacing,
    [property: Id(3)] LeaseReport? Report);

/// <summary>
/// What an account did with a lease it gives up: the moments its sends of that lease started. Tokens not listed were
/// not used and go back to the corp at once.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.LeaseReport")]
public sealed record LeaseReport([property: Id(0)] long Sequence, [property: Id(1)] DateTimeOffset[] UsedAt);

/// <summary>
/// A corp's rolling-window send budget (the seed: 50,000 per hour across all its accounts). Grants short leases so an
/// ordinary send needs no call here. Each token is one of the budget's slots: a slot carries at most one send per window,
/// counted from the send's start, so no rolling window at the host ever holds more sends than the budget, even when a
/// holder dies without reporting its lease. When the budget is spent, an account is promised the next slot to come free.
/// </summary>
[Alias("OrleansWeCom.ICorpBudgetGrain")]
public interface ICorpBudgetGrain : IGrainWithStringKey
{
    /// <summary>Asks for tokens, reporting what became of the account's previous lease.</summary>
    [Alias("Request")] Task<BudgetLease> AcquireAsync(string account, BudgetRequest request);

    /// <summary>Gives a lease back early (the account's queue is empty, or it went offline), reporting what it used.</summary>
    [Alias("Report")] Task ReturnAsync(string account, LeaseReport report);

    [AlwaysInterleave, Alias("Usage")] Task<(int Counted, int Budget)> GetUsageAsync();
}

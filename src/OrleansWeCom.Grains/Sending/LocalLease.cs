namespace OrleansWeCom.Grains.Sending;

/// <summary>The tokens an account holds from its corp's budget: spent one per send, void after their use-by time.</summary>
public sealed class LocalLease
{
    private BudgetLease? _lease;

    /// <summary>How long the corp asked us to wait after a refusal.</summary>
    public TimeSpan? RetryAfter => _lease?.RetryAfter;

    /// <summary>Spends a token for a send that starts at <paramref name="useAt"/>, if the lease is still good then.</summary>
    public bool TryTake(DateTimeOffset useAt)
    {
        if (_lease is not { Tokens: > 0 } lease || useAt >= lease.UseBefore) return false;
        _lease = lease with { Tokens = lease.Tokens - 1 };
        return true;
    }

    /// <summary>Replaces the lease with a new grant and spends a token of it for a send at <paramref name="useAt"/>.</summary>
    public bool Grant(BudgetLease granted, DateTimeOffset useAt)
    {
        _lease = granted;
        return TryTake(useAt);
    }

    /// <summary>Takes the tokens that are still good, to give them back to the corp; the lease is empty afterwards.</summary>
    public BudgetLease? TakeUnused(DateTimeOffset now)
    {
        var lease = _lease;
        _lease = null;
        return lease is { Tokens: > 0 } && now < lease.UseBefore ? lease : null;
    }
}

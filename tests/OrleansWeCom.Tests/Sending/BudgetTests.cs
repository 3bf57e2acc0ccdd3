using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Sending;

/// <summary>The corp budget's arithmetic, the account's lease and the zombie rule, on fake time.</summary>
public sealed class BudgetTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    private static SendingOptions Options(int budget = 40, int windowSeconds = 10) => new()
    {
        CorpSendsPerWindow = budget,
        CorpWindow = TimeSpan.FromSeconds(windowSeconds),
        LeaseDuration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void No_span_of_a_window_plus_a_lease_ever_holds_more_grants_than_the_budget()
    {
        var options = Options();
        var budget = new CorpBudget(options);
        var state = new CorpBudgetState();
        var grants = new List<(DateTimeOffset At, int Tokens)>();
        long sequence = 0;
        // Three accounts asking for three tokens every 100 ms for a minute: far more than 40 per 10 s.
        for (var tick = 0; tick < 600; tick++)
        {
            foreach (var account in new[] { "a", "b", "c" })
            {
                var lease = budget.Acquire(state, account, 3, ++sequence, _time.GetUtcNow(), 0.5, out _);
                if (lease.Tokens > 0) grants.Add((_time.GetUtcNow(), lease.Tokens));
            }

            _time.Advance(TimeSpan.FromMilliseconds(100));
        }

        // A token granted at g may be spent until g + lease; the host counts it for a window after the send.
        var span = options.CorpWindow + options.EffectiveLeaseDuration;
        foreach (var (at, _) in grants)
            Assert.True(grants.Where(g => g.At > at - span && g.At <= at).Sum(g => g.Tokens) <= options.CorpSendsPerWindow);
        Assert.True(grants.Sum(g => g.Tokens) >= 4 * options.CorpSendsPerWindow, "the budget is used, not only guarded");
    }

    [Fact]
    public void A_retried_request_gets_the_same_answer_and_is_not_counted_twice()
    {
        var budget = new CorpBudget(Options());
        var state = new CorpBudgetState();

        var first = budget.Acquire(state, "a", 5, 7, _time.GetUtcNow(), 0, out var changed);
        var again = budget.Acquire(state, "a", 5, 7, _time.GetUtcNow(), 0, out var changedAgain);

        Assert.Equal(first, again);
        Assert.True(changed);
        Assert.False(changedAgain);
        Assert.Equal(5, budget.Counted(state, _time.GetUtcNow()));
    }

    [Fact]
    public void When_the_rest_is_short_it_is_split_among_the_accounts_asking()
    {
        var budget = new CorpBudget(Options(budget: 10));
        var state = new CorpBudgetState();
        Assert.Equal(4, budget.Acquire(state, "a", 4, 1, _time.GetUtcNow(), 0, out _).Tokens);
        Assert.Equal(0, budget.Acquire(state, "x", 0, 1, _time.GetUtcNow(), 0, out _).Tokens);

        // Six left, two accounts waiting for four each: three apiece.
        Assert.Equal(3, budget.Acquire(state, "b", 4, 1, _time.GetUtcNow(), 0, out _).Tokens);
        Assert.Equal(3, budget.Acquire(state, "x", 4, 2, _time.GetUtcNow(), 0, out _).Tokens);
    }

    [Fact]
    public void A_refused_account_is_told_when_the_oldest_grant_stops_counting()
    {
        var options = Options(budget: 2);
        var budget = new CorpBudget(options);
        var state = new CorpBudgetState();
        Assert.Equal(2, budget.Acquire(state, "a", 2, 1, _time.GetUtcNow(), 0, out _).Tokens);
        _time.Advance(TimeSpan.FromSeconds(3));

        var refused = budget.Acquire(state, "b", 1, 1, _time.GetUtcNow(), 0, out var changed);

        Assert.Equal(0, refused.Tokens);
        Assert.False(changed);
        var window = new SlidingBudget(2, options.CorpWindow, options.EffectiveLeaseDuration);
        Assert.InRange(refused.RetryAfter, window.Horizon - TimeSpan.FromSeconds(3), window.Horizon - TimeSpan.FromSeconds(3) + window.Bucket);
        _time.Advance(refused.RetryAfter);
        Assert.Equal(1, budget.Acquire(state, "b", 1, 2, _time.GetUtcNow(), 0, out _).Tokens);
    }

    [Fact]
    public void Tokens_given_back_before_their_use_by_time_can_be_granted_again_and_expired_ones_cannot_be_given_back()
    {
        var budget = new CorpBudget(Options(budget: 5));
        var state = new CorpBudgetState();
        Assert.Equal(5, budget.Acquire(state, "a", 5, 1, _time.GetUtcNow(), 0, out _).Tokens);

        Assert.True(budget.Return(state, "a", 1, 3, _time.GetUtcNow()));
        Assert.False(budget.Return(state, "a", 0, 1, _time.GetUtcNow()));
        Assert.Equal(3, budget.Acquire(state, "b", 5, 1, _time.GetUtcNow(), 0, out _).Tokens);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(budget.Return(state, "b", 1, 3, _time.GetUtcNow()));
    }

    [Fact]
    public void A_lease_is_spent_one_token_per_send_and_void_after_its_use_by_time()
    {
        var lease = new LocalLease();
        var now = _time.GetUtcNow();
        Assert.False(lease.TryTake(now));

        Assert.True(lease.Grant(new BudgetLease(2, now.AddSeconds(1), TimeSpan.Zero, 1), now));
        Assert.True(lease.TryTake(now.AddMilliseconds(500)));
        Assert.False(lease.TryTake(now.AddMilliseconds(600)));

        Assert.True(lease.Grant(new BudgetLease(3, now.AddSeconds(1), TimeSpan.Zero, 2), now));
        Assert.False(lease.TryTake(now.AddSeconds(1)));
        Assert.Equal(2, lease.TakeUnused(now)!.Tokens);
        Assert.Null(lease.TakeUnused(now));
    }

    [Fact]
    public void A_refused_grant_spends_nothing_and_tells_when_to_ask_again()
    {
        var lease = new LocalLease();
        var now = _time.GetUtcNow();

        Assert.False(lease.Grant(new BudgetLease(0, now, TimeSpan.FromSeconds(3), 1), now));
        Assert.Equal(TimeSpan.FromSeconds(3), lease.RetryAfter);
        Assert.Null(lease.TakeUnused(now));
    }

    [Fact]
    public void Sliding_budget_counts_a_grant_until_its_last_use_has_left_the_window()
    {
        var window = new SlidingBudget(10, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        var buckets = new Dictionary<long, int> { [window.BucketOf(_time.GetUtcNow())] = 4 };

        _time.Advance(window.Horizon - window.Bucket);
        Assert.Equal(4, window.Counted(buckets, _time.GetUtcNow()));

        _time.Advance(window.Bucket * 2);
        Assert.Equal(0, window.Counted(buckets, _time.GetUtcNow()));
        window.Prune(buckets, _time.GetUtcNow());
        Assert.Empty(buckets);
    }

    [Fact]
    public void A_zombie_is_restarted_after_the_threshold_and_not_again_within_the_cooldown()
    {
        var watch = new ZombieWatch(3, TimeSpan.FromMinutes(10));
        var now = _time.GetUtcNow();
        Assert.Null(watch.Failed(now, null));
        Assert.Null(watch.Failed(now, null));
        watch.Succeeded();
        Assert.Null(watch.Failed(now, null));
        Assert.Null(watch.Failed(now, null));

        Assert.Equal(new ZombieVerdict(3, true), watch.Failed(now, null));
        Assert.Equal(0, watch.ConsecutiveFailures);

        for (var i = 0; i < 2; i++) watch.Failed(now, now.AddMinutes(-9));
        Assert.Equal(new ZombieVerdict(3, false), watch.Failed(now, now.AddMinutes(-9)));
        for (var i = 0; i < 2; i++) watch.Failed(now, now.AddMinutes(-10));
        Assert.Equal(new ZombieVerdict(3, true), watch.Failed(now, now.AddMinutes(-10)));
    }
}

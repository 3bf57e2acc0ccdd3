using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Sending;

/// <summary>The corp budget's arithmetic, the account's lease, the accounts of a corp sending against it, and the zombie rule, on fake time.</summary>
public sealed class BudgetTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    private static SendingOptions Options(int budget = 40, int windowSeconds = 10) => new()
    {
        CorpSendsPerWindow = budget,
        CorpWindow = TimeSpan.FromSeconds(windowSeconds),
        LeaseDuration = TimeSpan.FromSeconds(1),
    };

    private static readonly TimeSpan Interval = new SendingOptions().AccountSendInterval;

    private static BudgetRequest Ask(int wanted, long sequence, LeaseReport? report = null) => new(wanted, sequence, Interval, report);

    private DateTimeOffset Now => _time.GetUtcNow();

    public static TheoryData<int, int, int, int> SaturatingCorps => new()
    {
        // budget, window in seconds, accounts, windows simulated
        { 40, 10, 3, 6 },
        { 40, 10, 7, 6 },
        { 1_000, 60, 37, 4 },
        { 50_000, 3600, 100, 3 },
        { 50_000, 3600, 1_000, 3 },
    };

    [Theory]
    [MemberData(nameof(SaturatingCorps))]
    public void Under_saturating_demand_every_window_after_the_first_carries_the_whole_budget_and_none_more(int budget, int windowSeconds, int accounts, int windows)
    {
        var options = new SendingOptions { CorpSendsPerWindow = budget, CorpWindow = TimeSpan.FromSeconds(windowSeconds) };
        var start = Now;
        var run = options.CorpWindow * windows;
        var simulation = new BudgetSimulation(options, accounts, queuedPerAccount: (int)(run / Interval) + 1, _time);

        simulation.Run(run);

        var figures = WindowUtilisation.Of(simulation.Sends, budget, options.CorpWindow, start, start + run);
        Assert.Equal(0, figures.Overshoot);
        Assert.True(figures.Least >= 0.99, $"the emptiest window after the first carried {figures.Least:P2} of the budget");
        Assert.InRange(simulation.Sends.Count, budget * windows * 99 / 100, budget * windows);
    }

    [Fact]
    public void With_a_host_round_trip_no_window_at_the_host_holds_more_than_the_budget()
    {
        var options = Options();
        var start = Now;
        var run = options.CorpWindow * 6;
        var simulation = new BudgetSimulation(options, 3, (int)(run / Interval), _time, roundTrip: TimeSpan.FromMilliseconds(120));

        simulation.Run(run);

        var figures = WindowUtilisation.Of(simulation.Sends, 40, options.CorpWindow, start, start + run);
        Assert.Equal(0, figures.Overshoot);
        Assert.True(figures.Median >= 0.9, $"median window {figures.Median:P1}");
    }

    [Fact]
    public void The_window_measure_sees_an_overshoot_and_a_gap()
    {
        var start = Now;
        var window = TimeSpan.FromSeconds(10);
        // Four sends a second for 30 s, one skipped at 15 s and two at once at 22 s.
        var sends = Enumerable.Range(0, 120).Select(i => start + TimeSpan.FromMilliseconds(250 * i)).Where(t => t != start.AddSeconds(15)).ToList();
        sends.Add(start.AddSeconds(22));

        var figures = WindowUtilisation.Of(sends, 40, window, start, start + TimeSpan.FromSeconds(30));

        Assert.Equal(1, figures.Overshoot);
        Assert.Equal(39.0 / 40, figures.Least);
        // Windows start from 10 s to 20 s: those holding 22 s and not 15 s, most of them, carry 41.
        Assert.Equal(41.0 / 40, figures.Median);
    }

    [Fact]
    public void A_retried_request_gets_the_same_answer_and_holds_no_second_slot()
    {
        var budget = new CorpBudget(Options());

        var first = budget.Acquire("a", Ask(2, 7), Now, out var changed);
        var again = budget.Acquire("a", Ask(2, 7), Now, out var changedAgain);

        Assert.Equal(first, again);
        Assert.Equal(2, first.Tokens);
        Assert.True(changed);
        Assert.False(changedAgain);
        Assert.Equal(2, budget.Counted(Now));
    }

    [Fact]
    public void A_lease_s_tokens_are_one_spacing_apart_and_each_slot_is_one_free_by_its_turn()
    {
        var budget = new CorpBudget(Options(budget: 10));

        var lease = budget.Acquire("a", new BudgetRequest(5, 1, TimeSpan.FromMilliseconds(400), null), Now, out _);

        // A 1 s lease has turns at 0, 500 and (past its end) 1000 ms: the spacing is never below the account interval.
        Assert.Equal(2, lease.Tokens);
        Assert.Equal(Interval, lease.Spacing);
        Assert.Equal(Now, lease.UsableFrom);
        Assert.Equal(Now.AddSeconds(1), lease.UseBefore);
    }

    [Fact]
    public void When_no_slot_is_free_the_asker_is_promised_the_next_to_come_free_from_that_moment()
    {
        var options = Options(budget: 2);
        var budget = new CorpBudget(options);
        var a = budget.Acquire("a", Ask(2, 1), Now, out _);
        var sentAt = Now;
        _time.Advance(TimeSpan.FromSeconds(3));
        budget.Report("a", new LeaseReport(a.Sequence, [sentAt, sentAt.AddMilliseconds(500)]), Now);

        var b = budget.Acquire("b", Ask(1, 1), Now, out var changed);
        var c = budget.Acquire("c", Ask(3, 1), Now, out _);
        var d = budget.Acquire("d", Ask(3, 1), Now, out _);

        Assert.True(changed);
        Assert.Equal((1, sentAt + options.CorpWindow, TimeSpan.FromSeconds(7)), (b.Tokens, b.UsableFrom, b.RetryAfter));
        Assert.Equal((1, sentAt.AddMilliseconds(500) + options.CorpWindow), (c.Tokens, c.UsableFrom));
        Assert.Equal(0, d.Tokens);
        Assert.True(d.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public void A_report_frees_each_used_slot_a_window_after_its_answer_and_each_unused_one_at_once()
    {
        var options = Options(budget: 3);
        var budget = new CorpBudget(options);
        var lease = budget.Acquire("a", new BudgetRequest(3, 1, TimeSpan.FromMilliseconds(500), null), Now, out _);
        Assert.Equal(2, lease.Tokens);
        var answeredAt = Now.AddMilliseconds(30);
        Assert.Equal(2, budget.Counted(Now));

        Assert.True(budget.Report("a", new LeaseReport(lease.Sequence, [answeredAt]), Now.AddMilliseconds(40)));
        Assert.False(budget.Report("a", new LeaseReport(lease.Sequence, [answeredAt]), Now.AddMilliseconds(40)));

        Assert.Equal(1, budget.Counted(Now.AddMilliseconds(40)));
        Assert.Equal(1, budget.Counted(answeredAt + options.CorpWindow - TimeSpan.FromTicks(1)));
        Assert.Equal(0, budget.Counted(answeredAt + options.CorpWindow));
        Assert.Equal(2, budget.Acquire("b", Ask(2, 1), Now.AddMilliseconds(50), out _).Tokens);
    }

    [Fact]
    public void A_holder_that_never_reports_keeps_its_slots_until_its_use_by_time_plus_a_window()
    {
        var options = Options(budget: 2);
        var budget = new CorpBudget(options);
        var lease = budget.Acquire("a", Ask(2, 1), Now, out _);

        Assert.Equal(2, budget.Counted(lease.UseBefore + options.CorpWindow - TimeSpan.FromTicks(1)));
        Assert.Equal(0, budget.Counted(lease.UseBefore + options.CorpWindow));
        var late = budget.Acquire("b", Ask(2, 1), lease.UseBefore + options.CorpWindow, out _);
        Assert.Equal(2, late.Tokens);

        // The first holder's late report must not free slots that are now b's.
        budget.Report("a", new LeaseReport(lease.Sequence, []), lease.UseBefore + options.CorpWindow);
        Assert.Equal(2, budget.Counted(lease.UseBefore + options.CorpWindow));
    }

    [Fact]
    public void A_restarted_budget_frees_no_slot_earlier_than_before_and_answers_a_retry_the_same()
    {
        var options = Options(budget: 5);
        var budget = new CorpBudget(options);
        var lease = budget.Acquire("a", Ask(2, 9), Now, out _);
        budget.Acquire("b", Ask(1, 1), Now, out _);
        budget.Report("b", new LeaseReport(1, [Now.AddMilliseconds(10)]), Now.AddMilliseconds(20));
        var state = new CorpBudgetState();
        budget.WriteTo(state, options, Now.AddMilliseconds(20));

        var restarted = new CorpBudget(options, state);

        Assert.Equal(lease, restarted.Acquire("a", Ask(2, 9), Now.AddMilliseconds(30), out var changed) with { RetryAfter = lease.RetryAfter });
        Assert.False(changed);
        var freeOfB = Now.AddMilliseconds(10) + options.CorpWindow;
        Assert.Equal(3, restarted.Counted(freeOfB - TimeSpan.FromTicks(1)));
        Assert.Equal(2, restarted.Counted(freeOfB + CorpBudgetSnapshot.Step(options)));
        Assert.Equal(0, restarted.Counted(lease.UseBefore + options.CorpWindow + CorpBudgetSnapshot.Step(options)));
    }

    [Fact]
    public void A_snapshot_written_after_many_grants_and_reports_restores_the_same_busy_slots_at_every_step()
    {
        var options = Options(budget: 300, windowSeconds: 60);
        var step = CorpBudgetSnapshot.Step(options);
        var budget = new CorpBudget(options);
        var random = new Random(7);
        var sequences = new Dictionary<string, long>();
        var leases = new Dictionary<string, BudgetLease>();
        for (var round = 0; round < 400; round++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(random.Next(1, 400)));
            var account = $"a{random.Next(12)}";
            var sequence = sequences[account] = sequences.GetValueOrDefault(account) + 1;
            // Each request reports the account's previous lease: some tokens used (answered up to now), the rest unused.
            LeaseReport? report = leases.TryGetValue(account, out var previous)
                ? new LeaseReport(previous.Sequence, [.. Enumerable.Range(0, random.Next(0, previous.Tokens + 1)).Select(n => Now.AddMilliseconds(-n))])
                : null;
            leases[account] = budget.Acquire(account, new BudgetRequest(random.Next(0, 6), sequence, Interval, report), Now, out _);
        }

        var state = new CorpBudgetState();
        budget.WriteTo(state, options, Now);
        var restarted = new CorpBudget(options, state);

        // At each step's end the restored budget counts exactly the slots busy before; between, never fewer.
        var from = new DateTimeOffset((Now.UtcTicks / step.Ticks + 1) * step.Ticks, TimeSpan.Zero);
        for (var at = from; at < Now + options.CorpWindow + options.EffectiveLeaseDuration + step; at += step)
        {
            Assert.Equal(budget.Counted(at), restarted.Counted(at));
            Assert.True(restarted.Counted(at - step / 2) >= budget.Counted(at - step / 2));
        }

        Assert.True(budget.Counted(from) > 0);

        // The clock stepped back half a window: a snapshot written then still holds the slots busy after that moment.
        var earlier = Now - options.CorpWindow / 2;
        var stepped = new CorpBudgetState();
        budget.WriteTo(stepped, options, earlier);
        var restored = new CorpBudget(options, stepped);
        for (var at = new DateTimeOffset((earlier.UtcTicks / step.Ticks + 1) * step.Ticks, TimeSpan.Zero); at < Now + options.CorpWindow; at += step)
            Assert.Equal(budget.Counted(at), restored.Counted(at));
    }

    [Fact]
    public void Tokens_given_back_when_an_account_has_nothing_left_to_send_serve_another_at_once()
    {
        var options = Options(budget: 2);
        var budget = new CorpBudget(options);
        var lease = budget.Acquire("a", Ask(2, 1), Now, out _);
        Assert.Equal(0, budget.Acquire("b", Ask(1, 1), Now, out _).Tokens);

        // a sent once, answered at 10 ms, and has nothing more: it gives the lease back at 100 ms.
        budget.Report("a", new LeaseReport(lease.Sequence, [Now.AddMilliseconds(10)]), Now.AddMilliseconds(100));

        var b = budget.Acquire("b", Ask(1, 2), Now.AddMilliseconds(100), out _);
        var c = budget.Acquire("c", Ask(1, 1), Now.AddMilliseconds(100), out _);
        Assert.Equal((1, Now.AddMilliseconds(100)), (b.Tokens, b.UsableFrom));
        Assert.Equal((1, Now.AddMilliseconds(10) + options.CorpWindow), (c.Tokens, c.UsableFrom));
    }

    [Fact]
    public void A_simulated_account_whose_queue_empties_gives_its_lease_back()
    {
        var simulation = new BudgetSimulation(Options(budget: 4), accounts: 2, queuedPerAccount: 1, _time);

        simulation.Run(TimeSpan.FromSeconds(1));

        Assert.Equal(2, simulation.Sends.Count);
        Assert.Equal(2, simulation.Returns);
    }

    [Fact]
    public void A_lease_is_spent_one_token_per_spacing_within_its_time_and_reports_when_each_send_was_answered()
    {
        var lease = new LocalLease();
        var now = Now;
        Assert.False(lease.TryTake(now));
        Assert.Null(lease.Report());

        lease.Grant(new BudgetLease(3, now.AddSeconds(2), TimeSpan.Zero, 1, now, Interval));
        Assert.True(lease.TryTake(now));
        Assert.False(lease.TryTake(now.AddMilliseconds(499)));
        Assert.Equal(TimeSpan.FromMilliseconds(500), lease.NextUsableIn(now));
        lease.Answered(now, now.AddMilliseconds(40));
        Assert.True(lease.TryTake(now.AddMilliseconds(600)));
        Assert.Equal(Interval + TimeSpan.FromMilliseconds(40), lease.Pace(Interval));

        // The second send is not answered yet: it counts as used at the lease's end.
        Assert.Equal([now.AddMilliseconds(40), now.AddSeconds(2)], lease.Report()!.UsedAt);
        lease.Untake(now.AddMilliseconds(600));
        Assert.Equal([now.AddMilliseconds(40)], lease.Release()!.UsedAt);
        Assert.Null(lease.Report());
    }

    [Fact]
    public void A_promised_token_is_waited_for_and_a_refusal_tells_when_to_ask_again()
    {
        var lease = new LocalLease();
        var now = Now;

        lease.Grant(new BudgetLease(1, now.AddSeconds(8), TimeSpan.FromSeconds(7), 1, now.AddSeconds(7), Interval));
        Assert.False(lease.TryTake(now));
        Assert.Equal(TimeSpan.FromSeconds(7), lease.NextUsableIn(now));
        Assert.Equal(TimeSpan.FromSeconds(7), lease.WaitBefore(now));
        Assert.True(lease.TryTake(now.AddSeconds(7)));

        lease.Grant(new BudgetLease(0, now, TimeSpan.FromSeconds(3), 2, now));
        Assert.False(lease.TryTake(now));
        Assert.Equal(TimeSpan.FromSeconds(3), lease.WaitBefore(now));
        Assert.Null(lease.Report());
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

using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Testing;

/// <summary>
/// One corp's accounts sending against <see cref="CorpBudget"/> on a fake clock, each as the account grain does: a send
/// at most every <see cref="SendingOptions.AccountSendInterval"/>, a token of its <see cref="LocalLease"/> per send, a
/// request with the previous lease's report when the lease is spent, the lease given back when its queue is empty. The
/// host answers each send <paramref name="roundTrip"/> after it started; sends are recorded when they start.
/// </summary>
public sealed class BudgetSimulation(SendingOptions options, int accounts, int queuedPerAccount, FakeTimeProvider time, TimeSpan roundTrip = default)
{
    private readonly CorpBudget _budget = new(options);

    /// <summary>When each send started, in order.</summary>
    public List<DateTimeOffset> Sends { get; } = [];

    /// <summary>Requests made to the budget (grants, promises and refusals alike) and leases given back.</summary>
    public int Requests { get; private set; }

    public int Returns { get; private set; }

    /// <summary>Runs until <paramref name="until"/> or until every queue is empty.</summary>
    public void Run(TimeSpan until)
    {
        var end = time.GetUtcNow() + until;
        var leases = Enumerable.Range(0, accounts).Select(_ => new LocalLease()).ToArray();
        var queued = Enumerable.Repeat(queuedPerAccount, accounts).ToArray();
        var sequence = new long[accounts];
        var turns = new PriorityQueue<int, (DateTimeOffset At, int Account)>();
        for (var account = 0; account < accounts; account++) turns.Enqueue(account, (time.GetUtcNow(), account));

        while (turns.TryDequeue(out var account, out var due) && due.At < end)
        {
            if (due.At > time.GetUtcNow()) time.Advance(due.At - time.GetUtcNow());
            var now = time.GetUtcNow();
            var lease = leases[account];
            var next = Turn(account, lease, ref queued[account], ref sequence[account], now);
            if (next is { } wait) turns.Enqueue(account, (now + wait, account));
        }
    }

    /// <summary>One turn of an account; returns when its next turn is, or null when its queue is empty.</summary>
    private TimeSpan? Turn(int account, LocalLease lease, ref int queued, ref long sequence, DateTimeOffset now)
    {
        var name = $"account-{account}";
        if (!lease.TryTake(now))
        {
            if (lease.NextUsableIn(now) is { } later) return later;
            Requests++;
            var request = new BudgetRequest(Math.Min(queued, options.TokensPerLease), ++sequence, lease.Pace(options.AccountSendInterval), lease.Report());
            lease.Grant(_budget.Acquire(name, request, now, out _));
            if (!lease.TryTake(now)) return lease.WaitBefore(now) ?? options.AccountSendInterval;
        }

        // The host's answer comes back within the turn; the pacing counts from it.
        Sends.Add(now);
        lease.Answered(now, now + roundTrip);
        if (--queued > 0) return roundTrip + options.AccountSendInterval;
        if (lease.Release() is { } report)
        {
            Returns++;
            _budget.Report(name, report, now);
        }

        return null;
    }
}

/// <summary>How full the rolling windows of a run of sends were, measured over the windows that start after the first.</summary>
public sealed record WindowUtilisation(double Busiest, double Median, double Least, int Overshoot, int MostInAWindow)
{
    /// <summary>
    /// Every window [t, t + W) with t from <paramref name="start"/> + W to <paramref name="end"/> - W: the busiest and the
    /// least full (found at the sends, where counts change) and the median of windows at 1,000 even steps.
    /// </summary>
    public static WindowUtilisation Of(IReadOnlyList<DateTimeOffset> sends, int budget, TimeSpan window, DateTimeOffset start, DateTimeOffset end)
    {
        var ticks = sends.Select(s => s.UtcTicks).Order().ToArray();
        var w = window.Ticks;
        var from = (start + window).UtcTicks;
        var to = (end - window).UtcTicks;
        int CountFrom(long t) => LowerBound(ticks, t + w) - LowerBound(ticks, t);

        // A window's count changes only just after a send leaves it (t = s + 1) or enters it (t = s - W + 1).
        var candidates = ticks.SelectMany(t => new[] { t + 1, t - w + 1 }).Where(t => t >= from && t <= to).Append(from).Append(to);
        var (most, least) = (0, int.MaxValue);
        foreach (var t in candidates)
        {
            var count = CountFrom(t);
            (most, least) = (Math.Max(most, count), Math.Min(least, count));
        }

        var steps = Enumerable.Range(0, 1000).Select(i => CountFrom(from + (to - from) * i / 999)).Order().ToArray();
        return new WindowUtilisation((double)most / budget, (double)steps[steps.Length / 2] / budget, (double)least / budget,
            Math.Max(0, most - budget), most);
    }

    /// <summary>The first index whose tick is at least <paramref name="t"/>.</summary>
    private static int LowerBound(long[] ticks, long t)
    {
        int lo = 0, hi = ticks.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (ticks[mid] < t) lo = mid + 1;
            else hi = mid;
        }

        return lo;
    }
}

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// The tokens an account holds from its corp's budget: spent one per send, the n-th usable from the lease's start + n
/// spacings (a promised token from the moment its slot comes free) until the use-by time. It remembers when the host
/// answered each send, for the report that goes back with the next request or when the lease is given back: the host
/// received the send before it answered, so a slot freed a window after the answer is free at the host too.
/// </summary>
public sealed class LocalLease
{
    private BudgetLease? _lease;
    private int _left;
    private readonly List<(DateTimeOffset StartsAt, DateTimeOffset? AnsweredAt)> _used = [];
    private TimeSpan _roundTrip;

    /// <summary>How long to wait before a token can be used or asked for again; null when asking now is right.</summary>
    public TimeSpan? WaitBefore(DateTimeOffset now)
    {
        if (_lease is not { } lease) return null;
        if (_left > 0 && now < lease.UseBefore) return NextUsableIn(now);
        return lease.Tokens == 0 && lease.RetryAfter > TimeSpan.Zero ? lease.RetryAfter : null;
    }

    /// <summary>How long until the next token held becomes usable, or null when none is held for later.</summary>
    public TimeSpan? NextUsableIn(DateTimeOffset now) =>
        _lease is { } lease && _left > 0 && NextUsableAt(lease) is var next && next > now && next < lease.UseBefore ? next - now : null;

    /// <summary>How often this account can send: <paramref name="gap"/> after each answer, plus the last send's round trip.</summary>
    public TimeSpan Pace(TimeSpan gap) => gap + _roundTrip;

    /// <summary>Spends a token for a send that starts at <paramref name="startsAt"/>, if the lease is good then.</summary>
    public bool TryTake(DateTimeOffset startsAt)
    {
        if (_lease is not { } lease || _left == 0 || startsAt < NextUsableAt(lease) || startsAt >= lease.UseBefore) return false;
        _left--;
        _used.Add((startsAt, null));
        return true;
    }

    /// <summary>The host answered the send that took a token at <paramref name="startsAt"/>.</summary>
    public void Answered(DateTimeOffset startsAt, DateTimeOffset answeredAt)
    {
        var index = _used.FindIndex(u => u.StartsAt == startsAt && u.AnsweredAt is null);
        if (index < 0) return;
        _used[index] = (startsAt, answeredAt);
        _roundTrip = answeredAt > startsAt ? answeredAt - startsAt : TimeSpan.Zero;
    }

    private DateTimeOffset NextUsableAt(BudgetLease lease) => lease.UsableFrom + lease.Spacing * _used.Count;

    /// <summary>A send that took a token at <paramref name="startsAt"/> never started: the token was not used after all.</summary>
    public void Untake(DateTimeOffset startsAt)
    {
        var index = _used.FindIndex(u => u.StartsAt == startsAt);
        if (index < 0) return;
        _used.RemoveAt(index);
        _left++;
    }

    /// <summary>
    /// What became of the lease held, to hand in with the next request; null when none is held. A send not answered yet
    /// counts as used at the lease's use-by time, as the corp would count it without a report.
    /// </summary>
    public LeaseReport? Report() =>
        _lease is { Tokens: > 0 } lease ? new LeaseReport(lease.Sequence, [.. _used.Select(u => u.AnsweredAt ?? lease.UseBefore)]) : null;

    /// <summary>Replaces the lease with a new answer (the previous one was reported with the request).</summary>
    public void Grant(BudgetLease granted)
    {
        _lease = granted;
        _left = granted.Tokens;
        _used.Clear();
    }

    /// <summary>Tokens of the lease still usable at <paramref name="now"/>: what a release gives back unused.</summary>
    public int Unused(DateTimeOffset now) => _lease is { } lease && now < lease.UseBefore ? _left : 0;

    /// <summary>Gives the lease up: its report, for the corp; nothing is held afterwards.</summary>
    public LeaseReport? Release()
    {
        var report = Report();
        _lease = null;
        _left = 0;
        _used.Clear();
        return report;
    }
}

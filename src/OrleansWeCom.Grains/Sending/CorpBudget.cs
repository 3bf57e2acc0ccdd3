namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// The arithmetic of a corp's rolling budget (<see cref="CorpBudgetGrain"/> persists it). The budget is B slots, each
/// free from a moment on. A send holds its slot until W after the host answered it, so a slot carries at most one send
/// in any rolling window W at the host and no window holds more than B sends. A granted token holds its slot until the
/// lease's use-by time + W; the holder's report of when its sends were answered (or that a token was not used) sets the
/// slot free at its exact moment, so the slot serves again the instant its last send leaves the window.
/// </summary>
/// <remarks>
/// A lease's tokens are usable one per spacing (the account's pace, never below the account interval), and each is matched with the slot that comes free last before
/// its turn: slots freed earlier stay for accounts that can use them sooner. When no slot is free, the asker is promised
/// the next one to come free, usable from that moment: accounts queue for slots instead of polling, and no slot sits
/// idle while an account waits.
/// </remarks>
public sealed class CorpBudget
{
    private readonly TimeSpan _window;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _spacing;
    private readonly long[] _freeAt;
    private readonly int[] _holder;
    private readonly SortedSet<(long FreeAt, int Slot)> _byFreeAt = [];
    private readonly Dictionary<string, OpenLease> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GrantRecord> _lastGrant;
    private readonly long _step;
    /// <summary>Slots by the snapshot step they come free in, kept as slots move so a write does not walk every slot.</summary>
    private readonly Dictionary<long, int> _busyBySteps = [];
    private int _leaseIds;

    /// <summary>A lease whose holder has not reported yet: its slots in token order and when each was free before.</summary>
    private sealed record OpenLease(int Id, long Sequence, List<int> Slots, List<long> Prior, long UsableFrom, long UseBefore, long Spacing);

    /// <param name="state">What a previous activation persisted (see <see cref="WriteTo"/>), or null for a fresh budget.</param>
    public CorpBudget(SendingOptions options, CorpBudgetState? state = null)
    {
        _window = options.CorpWindow;
        _lease = options.EffectiveLeaseDuration;
        _spacing = options.AccountSendInterval;
        Budget = options.CorpSendsPerWindow;
        _freeAt = new long[Budget];
        _holder = new int[Budget];
        _step = CorpBudgetSnapshot.Step(options).Ticks;
        _lastGrant = state?.LastGrant is { } last ? new(last, StringComparer.Ordinal) : new(StringComparer.Ordinal);
        var busy = state is null ? [] : CorpBudgetSnapshot.Restore(state, options);
        for (var slot = 0; slot < Budget; slot++)
        {
            _freeAt[slot] = slot < busy.Count ? busy[slot] : 0;
            _byFreeAt.Add((_freeAt[slot], slot));
            CountStep(_freeAt[slot], +1);
        }
    }

    public int Budget { get; }

    /// <summary>
    /// Answers a request after applying the report of the account's previous lease. <paramref name="changed"/> says a
    /// grant was made: the state must be written before the answer is given.
    /// </summary>
    public BudgetLease Acquire(string account, BudgetRequest request, DateTimeOffset now, out bool changed)
    {
        changed = false;
        var (wanted, sequence) = (request.Wanted, request.Sequence);
        if (_lastGrant.TryGetValue(account, out var last) && last.Sequence == sequence) return Answer(last, now);
        if (request.Report is { } report) Report(account, report, now);
        // No faster than the account interval allows, nor slower than a lease's worth of sends.
        var spacing = Math.Clamp(request.Spacing.Ticks, _spacing.Ticks, Math.Max(_spacing.Ticks, _lease.Ticks));

        var at = now.UtcTicks;
        // The first token: a slot free now, else a promise of the next one to come free within a window.
        var first = wanted <= 0 ? null : LatestFreeBy(at, at) ?? NextToComeFree(at);
        if (first is not { } firstSlot) return new BudgetLease(0, now, _lease, sequence, now);

        var usableFrom = Math.Max(at, _freeAt[firstSlot]);
        var useBefore = usableFrom + _lease.Ticks;
        var lease = new OpenLease(++_leaseIds, sequence, [], [], usableFrom, useBefore, spacing);
        Hold(lease, firstSlot);
        for (var n = 1; n < wanted; n++)
        {
            var turn = usableFrom + n * spacing;
            if (turn >= useBefore || LatestFreeBy(turn, at) is not { } slot) break;
            Hold(lease, slot);
        }

        _open[account] = lease;
        var granted = new GrantRecord(sequence, lease.Slots.Count, Utc(useBefore), Utc(usableFrom), TimeSpan.FromTicks(spacing));
        _lastGrant[account] = granted;
        changed = true;
        return Answer(granted, now);
    }

    /// <summary>
    /// Takes the report of the account's open lease: each slot used is held until W after the host answered its send
    /// (the host received it before), each unused one is free again as it was before the grant. A report of another
    /// lease, or of one past its hold, changes nothing.
    /// </summary>
    public bool Report(string account, LeaseReport report, DateTimeOffset now)
    {
        if (!_open.TryGetValue(account, out var lease) || lease.Sequence != report.Sequence) return false;
        _open.Remove(account);
        var used = report.UsedAt.Select(u => u.UtcTicks).Order().ToArray();
        var at = now.UtcTicks;
        for (var n = 0; n < lease.Slots.Count; n++)
        {
            var slot = lease.Slots[n];
            // Once its hold has run out the slot may be another lease's; it is not this report's to change.
            if (_holder[slot] != lease.Id || _freeAt[slot] <= at) continue;
            var freeAt = n < used.Length ? Math.Max(used[n], lease.UsableFrom + n * lease.Spacing) + _window.Ticks : lease.Prior[n];
            Move(slot, freeAt, 0);
        }

        return true;
    }

    /// <summary>Slots not free at <paramref name="now"/>: sends still in the window, and tokens held or promised.</summary>
    public int Counted(DateTimeOffset now) => _byFreeAt.GetViewBetween((now.UtcTicks + 1, 0), (long.MaxValue, int.MaxValue)).Count;

    /// <summary>Writes what a later activation needs, rounded to the safe side (see <see cref="CorpBudgetSnapshot"/>).</summary>
    public void WriteTo(CorpBudgetState state, SendingOptions options, DateTimeOffset now)
    {
        var at = now.UtcTicks;
        foreach (var account in _open.Where(o => o.Value.UseBefore + _window.Ticks <= at).Select(o => o.Key).ToList()) _open.Remove(account);
        foreach (var account in _lastGrant.Where(g => g.Value.UseBefore + _window < now).Select(g => g.Key).ToList()) _lastGrant.Remove(account);
        state.LastGrant = new Dictionary<string, GrantRecord>(_lastGrant);
        // Steps ended by now hold only free slots: not written. A slot free earlier within the current step is written as
        // busy to the step's end, which is the snapshot's rounding anyway. Steps are forgotten only a window later, so a
        // clock stepped back still finds them.
        foreach (var key in _busyBySteps.Where(b => b.Key * _step <= at - _window.Ticks).Select(b => b.Key).ToList()) _busyBySteps.Remove(key);
        state.Busy = _busyBySteps.Where(b => b.Key * _step > at).ToDictionary();
        state.Buckets = [];
    }

    private BudgetLease Answer(GrantRecord grant, DateTimeOffset now)
    {
        var wait = grant.UsableFrom - now;
        return new BudgetLease(grant.Tokens, grant.UseBefore, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, grant.Sequence, grant.UsableFrom,
            grant.Spacing > TimeSpan.Zero ? grant.Spacing : _spacing);
    }

    /// <summary>The slot no lease holds that is free by <paramref name="by"/> and came free last, or null.</summary>
    private int? LatestFreeBy(long by, long at)
    {
        foreach (var (freeAt, slot) in _byFreeAt.GetViewBetween((long.MinValue, 0), (by, int.MaxValue)).Reverse())
            if (_holder[slot] == 0 || freeAt <= at) return slot;
        return null;
    }

    /// <summary>The first slot coming free within a window that no lease holds, or null.</summary>
    private int? NextToComeFree(long at)
    {
        foreach (var (_, slot) in _byFreeAt.GetViewBetween((at + 1, 0), (at + _window.Ticks, int.MaxValue)))
            if (_holder[slot] == 0) return slot;
        return null;
    }

    private void Hold(OpenLease lease, int slot)
    {
        lease.Slots.Add(slot);
        lease.Prior.Add(_freeAt[slot]);
        Move(slot, lease.UseBefore + _window.Ticks, lease.Id);
    }

    private void Move(int slot, long freeAt, int holder)
    {
        _byFreeAt.Remove((_freeAt[slot], slot));
        CountStep(_freeAt[slot], -1);
        _freeAt[slot] = freeAt;
        _holder[slot] = holder;
        _byFreeAt.Add((freeAt, slot));
        CountStep(freeAt, +1);
    }

    /// <summary>Counts a slot in or out of the step its free moment rounds up to (a step already dropped stays out).</summary>
    private void CountStep(long freeAt, int delta)
    {
        if (freeAt <= 0) return;
        var key = (freeAt + _step - 1) / _step;
        var count = _busyBySteps.GetValueOrDefault(key) + delta;
        if (count > 0) _busyBySteps[key] = count;
        else _busyBySteps.Remove(key);
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}

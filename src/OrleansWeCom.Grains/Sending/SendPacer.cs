namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// When one account's next send may start: a gap after the host's answer to the previous one, counted on the monotonic
/// clock, so that a step of the wall clock (NTP, an operator) can neither send early nor stall a queue. Only a gap carried
/// over from another activation is taken from the wall clock. It also learns how far ahead of a moment a turn must begin.
/// </summary>
public sealed class SendPacer(TimeProvider time, TimeSpan gap, TimeSpan maxLead)
{
    /// <summary>The earliest timestamp the next send may start at; null when nothing holds it back.</summary>
    private long? _earliest;
    private TimeSpan _leadNeeded, _leadDeviation;

    public TimeSpan Gap => gap;

    /// <summary>
    /// How far ahead of its moment a turn begins: what turns recently needed plus three deviations (as TCP estimates its
    /// retransmission timeout), at most <c>maxLead</c>.
    /// </summary>
    public TimeSpan Lead => _leadNeeded + (_leadDeviation * 3) is var lead && lead < maxLead ? lead : maxLead;

    /// <summary>The host answered the previous send at <paramref name="timestamp"/> (this process's monotonic clock).</summary>
    public void Answered(long timestamp) => _earliest = timestamp + Ticks(gap);

    /// <summary>
    /// The previous send was answered at a wall-clock time: in another activation, or on another silo. With a
    /// <paramref name="grace"/>, the time is only when its call started and the host may have received it up to that much
    /// later. The wait is capped at a gap plus the grace, so a clock stamped ahead on another silo holds back no longer.
    /// </summary>
    public void AnsweredAt(DateTimeOffset wallTime, TimeSpan grace = default)
    {
        var remaining = wallTime + grace + gap - time.GetUtcNow();
        var cap = gap + grace;
        var now = time.GetTimestamp();
        var earliest = now + Ticks(remaining > TimeSpan.Zero ? (remaining < cap ? remaining : cap) : TimeSpan.Zero);
        if (_earliest is not { } known || earliest > known) _earliest = earliest;
    }

    /// <summary>The moment the next send may start: now, or a gap after the last answer, or after <paramref name="notBefore"/> from now.</summary>
    public long NextMoment(TimeSpan notBefore = default)
    {
        var now = time.GetTimestamp();
        var moment = _earliest is { } earliest && earliest > now ? earliest : now;
        if (notBefore > TimeSpan.Zero && now + Ticks(notBefore) > moment) moment = now + Ticks(notBefore);
        return moment;
    }

    /// <summary>When the turn for a send at <paramref name="moment"/> should begin.</summary>
    public long TurnAt(long moment) => moment - Ticks(Lead);

    /// <summary>How long from now until <paramref name="timestamp"/>; negative when it has passed.</summary>
    public TimeSpan Until(long timestamp) => time.GetElapsedTime(time.GetTimestamp(), timestamp);

    /// <summary>
    /// A turn armed for <paramref name="armedFor"/> finished its preparation now. A turn that needed more than expected
    /// moves the estimate half-way at once and a quicker one only an eighth, so that a silo growing busy is caught up with
    /// quickly and a lull does not shrink the lead at once.
    /// </summary>
    public void Prepared(long armedFor)
    {
        var needed = time.GetElapsedTime(armedFor);
        if (needed < TimeSpan.Zero) needed = TimeSpan.Zero;
        _leadDeviation = (_leadDeviation * 0.75) + ((needed - _leadNeeded).Duration() * 0.25);
        var weight = needed > _leadNeeded ? 0.5 : 0.125;
        _leadNeeded = (_leadNeeded * (1 - weight)) + (needed * weight);
    }

    private long Ticks(TimeSpan span) => (long)(span.Ticks * (double)time.TimestampFrequency / TimeSpan.TicksPerSecond);
}

/// <summary>Exponential back-off with ±20% jitter, so that throttled accounts do not come back in step.</summary>
public static class Backoff
{
    /// <param name="attempts">Attempts made so far (1 for the first retry's wait).</param>
    /// <param name="jitter">A value in [0, 1): where in the ±20% band the wait falls.</param>
    public static TimeSpan After(int attempts, TimeSpan first, TimeSpan max, double jitter)
    {
        var exponential = first * Math.Pow(2, Math.Min(30, Math.Max(0, attempts - 1)));
        var capped = exponential > max ? max : exponential;
        return capped * (0.8 + (jitter * 0.4));
    }
}

/// <summary>
/// An account that claims to be online while its host calls keep failing is a zombie: after a threshold of consecutive
/// failures it is reported, and restarted unless it was restarted within the cooldown.
/// </summary>
public sealed class ZombieWatch(int threshold, TimeSpan cooldown)
{
    public int ConsecutiveFailures { get; private set; }

    public void Succeeded() => ConsecutiveFailures = 0;

    /// <summary>Counts a failure; returns a verdict when the threshold is reached (and starts counting anew).</summary>
    public ZombieVerdict? Failed(DateTimeOffset now, DateTimeOffset? lastRestart)
    {
        if (++ConsecutiveFailures < threshold) return null;
        var failures = ConsecutiveFailures;
        ConsecutiveFailures = 0;
        return new ZombieVerdict(failures, lastRestart is not { } last || now - last >= cooldown);
    }
}

public sealed record ZombieVerdict(int Failures, bool Restart);

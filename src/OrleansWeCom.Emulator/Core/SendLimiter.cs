namespace OrleansWeCom.Emulator.Core;

/// <summary>
/// WeCom's send limits: a least interval between two attempts of one account, and a budget of successful
/// sends per corp in any rolling window (a sliding log, so a burst at the end of one hour still counts in the next).
/// Not thread-safe; callers hold the state's gate.
/// </summary>
internal sealed class SendLimiter(EmulatorLimitsOptions limits)
{
    private readonly Dictionary<string, DateTimeOffset> _lastAttempt = [];
    private readonly Dictionary<string, Queue<DateTimeOffset>> _corpSends = [];

    /// <summary>Counts an attempt of <paramref name="wxId"/> at <paramref name="now"/>; false when WeCom would refuse it.</summary>
    public bool TryAcquire(string wxId, string corpId, DateTimeOffset now)
    {
        var allowed = true;
        if (limits.AccountSendInterval > TimeSpan.Zero
            && _lastAttempt.TryGetValue(wxId, out var previous)
            && now - previous < limits.AccountSendInterval)
        {
            allowed = false;
        }

        // A refused attempt still reached the container, so it restarts the interval.
        _lastAttempt[wxId] = now;
        if (!allowed || limits.CorpSendsPerWindow <= 0)
        {
            return allowed;
        }

        if (!_corpSends.TryGetValue(corpId, out var log))
        {
            log = _corpSends[corpId] = new Queue<DateTimeOffset>();
        }

        var windowStart = now - limits.CorpWindow;
        while (log.Count > 0 && log.Peek() <= windowStart)
        {
            log.Dequeue();
        }

        if (log.Count >= limits.CorpSendsPerWindow)
        {
            return false;
        }

        log.Enqueue(now);
        return true;
    }

    public int CorpSendsInWindow(string corpId, DateTimeOffset now)
    {
        if (!_corpSends.TryGetValue(corpId, out var log))
        {
            return 0;
        }

        var windowStart = now - limits.CorpWindow;
        return log.Count(t => t > windowStart);
    }
}

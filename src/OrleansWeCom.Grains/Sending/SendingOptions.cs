namespace OrleansWeCom.Grains.Sending;

/// <summary>WeCom's limits as we enforce them (section <c>WeCom:Limits</c>).</summary>
public sealed class SendingOptions
{
    /// <summary>The least gap between two sends of one account (the seed: 500 ms).</summary>
    public TimeSpan AccountSendInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Added to the interval, which is counted from the host's answer to the previous send. Counting from the answer
    /// already keeps the host's two arrivals an interval apart on any clock: the host received the previous request before
    /// it answered, and receives the next one after it is started. The margin covers only the two clocks running at
    /// different rates: an NTP-disciplined clock slews by at most 500 ppm, 0.25 ms over 500 ms, on each side.
    /// </summary>
    public TimeSpan PacingMargin { get; set; } = TimeSpan.FromMicroseconds(500);

    /// <summary>
    /// A send whose call a lost activation started and whose answer it never recorded may reach the host this long after
    /// the call's recorded start (the request in flight, a busy host reading it late): the account's next send waits a
    /// gap after that. It delays only accounts caught mid-send by a crash.
    /// </summary>
    public TimeSpan InFlightGrace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long before its moment a send's turn may begin. The turn takes a budget token and marks the send durably as
    /// being sent, then hands it to the <see cref="SendClock"/>, which starts the host call at the moment itself. Each
    /// account learns how far ahead its turns must begin (the timer's lateness plus the mark); this caps it. A silo lost
    /// between the mark and the moment leaves the send "outcome unknown" (not sent again) although it never reached the
    /// host. Zero begins the turn at the moment, and a busy silo's queue then lengthens every interval.
    /// </summary>
    public TimeSpan MaxPrepareAhead { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Sends one corp may make across all its accounts in any rolling <see cref="CorpWindow"/> (the seed: 50,000).</summary>
    public int CorpSendsPerWindow { get; set; } = 50_000;

    public TimeSpan CorpWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long granted tokens stay usable; unset means 1/200 of the window, between 1 s and 30 s.</summary>
    public TimeSpan? LeaseDuration { get; set; }

    /// <summary>Accepted but unsent messages one account may hold before new sends get "queue full".</summary>
    public int MaxQueuedPerAccount { get; set; } = 10_000;

    /// <summary>
    /// Memory the bodies of one account's unsettled sends (queued, or sent and waiting for their echo) may take, at two
    /// bytes a character as they are held; new sends get "queue full" beyond it.
    /// </summary>
    public long MaxQueuedBytesPerAccount { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// The same for all accounts of one tenant together, counted across the cluster within one usage sync interval (see <see cref="TenantQueuedBytes"/>); 0 turns it off.
    /// </summary>
    public long MaxQueuedBytesPerTenant { get; set; } = 256L * 1024 * 1024;

    /// <summary>First back-off after a frequency error (-1000999); doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FrequencyBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts before a send that keeps failing transiently is failed for good.</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>
    /// How long a send of unknown outcome (the host was called, its answer lost) waits for the host's echo, which
    /// settles it as what the echo says: sent, throttled (sent again) or failed.
    /// </summary>
    public TimeSpan UnknownOutcomeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Idempotency keys an account remembers in memory (the most recent); an older key is looked up in the outbox, where
    /// it answers as long as its row is kept (<c>Outbox:Retention</c>).
    /// </summary>
    public int IdempotencyCacheSize { get; set; } = 1_000;

    /// <summary>Consecutive failed host calls of an online account before it is reported as a zombie and restarted.</summary>
    public int ZombieFailureThreshold { get; set; } = 5;

    /// <summary>The least time between two automatic restarts of one account.</summary>
    public TimeSpan ZombieRestartCooldown { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan EffectiveLeaseDuration =>
        LeaseDuration ?? TimeSpan.FromTicks(Math.Clamp(CorpWindow.Ticks / 200, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromSeconds(30).Ticks));

    /// <summary>The most tokens one account can spend within a lease.</summary>
    public int TokensPerLease => (int)Math.Ceiling(EffectiveLeaseDuration / AccountSendInterval) + 1;
}

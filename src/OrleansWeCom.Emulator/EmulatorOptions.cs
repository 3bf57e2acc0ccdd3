namespace OrleansWeCom.Emulator;

/// <summary>Configuration of the container-host emulator, bound from the "Emulator" section.</summary>
public sealed class EmulatorOptions
{
    public const string SectionName = "Emulator";

    /// <summary>The value the <c>apikey</c> header must carry; null or empty accepts any request.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Seconds a login QR code stays valid (<c>keep_sec</c> in qrcode_status_msg).</summary>
    public int KeepSec { get; set; } = 600;

    /// <summary>Seed of the deterministic world: the same seed gives the same corps, accounts, customers and rooms.</summary>
    public int Seed { get; set; } = 20230614;

    /// <summary>Most containers that may exist at once, not counting removed ones.</summary>
    public int Capacity { get; set; } = 5000;

    /// <summary>Where uploaded files are kept; a fresh temporary folder when null.</summary>
    public string? FilesRoot { get; set; }

    /// <summary>Most entries kept in each container's sent log (oldest dropped first).</summary>
    public int SentLogCapacity { get; set; } = 100_000;

    public EmulatorLimitsOptions Limits { get; set; } = new();

    public EmulatorCallbackOptions Callbacks { get; set; } = new();

    public EmulatorWorldOptions World { get; set; } = new();
}

/// <summary>WeCom's send limits as the seed states them.</summary>
public sealed class EmulatorLimitsOptions
{
    /// <summary>Least time between two send attempts of one account; zero disables the check.</summary>
    public TimeSpan AccountSendInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most successful sends of one corp within any <see cref="CorpWindow"/>; zero or less disables the check.</summary>
    public int CorpSendsPerWindow { get; set; } = 50_000;

    public TimeSpan CorpWindow { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Where and how callbacks are delivered.</summary>
public sealed class EmulatorCallbackOptions
{
    /// <summary>The URL callbacks are posted to (kept as given, query string included); none drops callbacks.</summary>
    public string? Url { get; set; }

    /// <summary>Share of callbacks (0..1) delivered a second time, as real hosts do after restarts.</summary>
    public double DuplicateRate { get; set; }

    /// <summary>Retries after a failed POST before the callback is given up.</summary>
    public int RetryCount { get; set; } = 5;

    /// <summary>Delay before the first retry; each further retry doubles it up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time one POST may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Size of the generated world.</summary>
public sealed class EmulatorWorldOptions
{
    public int Corps { get; set; } = 3;
    public int AccountsPerCorp { get; set; } = 10;
    public int CustomersPerCorp { get; set; } = 60;
    public int ContactsPerAccount { get; set; } = 20;
    public int RoomsPerCorp { get; set; } = 6;
    public int LabelsPerCorp { get; set; } = 8;
    public int HostUsers { get; set; } = 5;
}

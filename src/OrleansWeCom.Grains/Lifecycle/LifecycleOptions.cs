namespace OrleansWeCom.Grains.Lifecycle;

public sealed class LifecycleOptions
{
    /// <summary>How long a QR code stays scannable when the host does not say (<c>keep_sec</c>).</summary>
    public TimeSpan DefaultQrLifetime { get; set; } = TimeSpan.FromSeconds(600);

    /// <summary>A login still in Status 3 after this long is reported as stuck.</summary>
    public TimeSpan LoginDeadline { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often an online container's host is asked whether the container still runs.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a safe-validate QR code stays scannable (the seed: 5 minutes).</summary>
    public TimeSpan SafeValidateWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many transitions the tenant can read back per container.</summary>
    public int HistoryLimit { get; set; } = 200;

    /// <summary>Timeout of one call to a host from a grain.</summary>
    public TimeSpan HostCallTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

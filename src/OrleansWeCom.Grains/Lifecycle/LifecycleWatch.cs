namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>What one pass of a container's watchdog must do now.</summary>
public sealed record WatchDue(bool QrExpired, bool LoginStuck, bool HealthCheck);

/// <summary>
/// The life cycle's deadlines as plain rules: a QR code (or verify step) expires at its deadline, a login that lasts longer
/// than <see cref="LifecycleOptions.LoginDeadline"/> is reported stuck once, and an online container (or one whose host
/// stopped answering) is health-checked every <see cref="LifecycleOptions.HealthCheckInterval"/>.
/// </summary>
public static class LifecycleWatch
{
    private static bool ShowsQrCode(ContainerState s) =>
        s.Status == ContainerStatus.LoggingIn && s.Step is LoginStep.WaitingForScan or LoginStep.Scanning or LoginStep.RequireVerify;

    public static bool NeedsWatching(ContainerState s) =>
        s.Status is ContainerStatus.Online or ContainerStatus.LoggingIn || s.HostUnreachable;

    public static WatchDue Due(ContainerState s, DateTimeOffset now, LifecycleOptions options) => new(
        QrExpired: ShowsQrCode(s) && s.Deadline is { } deadline && now >= deadline,
        LoginStuck: s.Status == ContainerStatus.LoggingIn && !s.StuckReported && s.LoginStartedAt is { } started && now - started > options.LoginDeadline,
        HealthCheck: s.Status == ContainerStatus.Online || s.HostUnreachable);

    /// <summary>How long until the logging-in container's deadline (zero when passed); null when it has none.</summary>
    public static TimeSpan? UntilDeadline(ContainerState s, DateTimeOffset now) =>
        s.Status == ContainerStatus.LoggingIn && s.Deadline is { } deadline
            ? (deadline - now is var due && due > TimeSpan.Zero ? due : TimeSpan.Zero)
            : null;
}

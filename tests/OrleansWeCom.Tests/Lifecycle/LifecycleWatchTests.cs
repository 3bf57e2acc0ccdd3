using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Lifecycle;

namespace OrleansWeCom.Tests.Lifecycle;

/// <summary>The life cycle's deadlines, on fake time.</summary>
public sealed class LifecycleWatchTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
    private readonly LifecycleOptions _options = new() { LoginDeadline = TimeSpan.FromMinutes(15) };

    private ContainerState LoggingIn(LoginStep step, TimeSpan qrLifetime) => new()
    {
        Initialized = true,
        Status = ContainerStatus.LoggingIn,
        Step = step,
        Deadline = _time.GetUtcNow() + qrLifetime,
        LoginStartedAt = _time.GetUtcNow(),
    };

    [Theory]
    [InlineData(LoginStep.WaitingForScan)]
    [InlineData(LoginStep.Scanning)]
    [InlineData(LoginStep.RequireVerify)]
    public void A_QR_code_expires_at_its_deadline_and_not_a_moment_before(LoginStep step)
    {
        var state = LoggingIn(step, TimeSpan.FromMinutes(10));

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        Assert.False(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).QrExpired);
        Assert.Equal(TimeSpan.FromMilliseconds(1), LifecycleWatch.UntilDeadline(state, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).QrExpired);
        Assert.Equal(TimeSpan.Zero, LifecycleWatch.UntilDeadline(state, _time.GetUtcNow()));
    }

    [Fact]
    public void A_login_without_a_QR_step_has_no_QR_to_expire()
    {
        var state = LoggingIn(LoginStep.None, TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.False(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).QrExpired);
    }

    [Fact]
    public void A_login_longer_than_the_deadline_is_reported_stuck_once()
    {
        var state = LoggingIn(LoginStep.None, TimeSpan.FromMinutes(1));

        _time.Advance(TimeSpan.FromMinutes(15));
        Assert.False(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).LoginStuck);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).LoginStuck);

        state.StuckReported = true;
        Assert.False(LifecycleWatch.Due(state, _time.GetUtcNow(), _options).LoginStuck);
    }

    [Theory]
    [InlineData(ContainerStatus.Online, false, true, true)]
    [InlineData(ContainerStatus.Offline, true, true, true)]
    [InlineData(ContainerStatus.Offline, false, false, false)]
    [InlineData(ContainerStatus.LoggedOut, false, false, false)]
    [InlineData(ContainerStatus.LoggingIn, false, false, true)]
    [InlineData(ContainerStatus.LoginFailedRescan, false, false, false)]
    public void Online_containers_and_lost_hosts_are_health_checked_and_watched(ContainerStatus status, bool hostUnreachable, bool healthCheck, bool watched)
    {
        var state = new ContainerState { Initialized = true, Status = status, Step = LoginStep.None, HostUnreachable = hostUnreachable };

        Assert.Equal(healthCheck, LifecycleWatch.Due(state, _time.GetUtcNow(), _options).HealthCheck);
        Assert.Equal(watched, LifecycleWatch.NeedsWatching(state));
        Assert.Null(status == ContainerStatus.LoggingIn ? null : LifecycleWatch.UntilDeadline(state, _time.GetUtcNow()));
    }
}

namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>The container's watchdog: QR expiry, stuck logins and health checks, on a reminder and two grain timers.</summary>
public sealed partial class ContainerGrain
{
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!S.Initialized || !NeedsWatching())
        {
            var reminder = await this.GetReminder(reminderName);
            if (reminder is not null) await this.UnregisterReminder(reminder);
            return;
        }

        await WatchAsync();
    }

    /// <summary>One pass of the watchdog: QR expiry, stuck logins and the host's health (<see cref="LifecycleWatch"/>).</summary>
    private async Task WatchAsync()
    {
        var due = LifecycleWatch.Due(S, time.GetUtcNow(), _options);
        if (due.QrExpired) await RefreshFromHostAsync("the QR code expired");
        if (due.LoginStuck)
        {
            S.StuckReported = true;
            Alert("login_stuck", $"the container has been logging in since {S.LoginStartedAt:O}, longer than {_options.LoginDeadline}");
            await CommitAsync();
        }

        if (due.HealthCheck) await HealthCheckAsync();
        ArmTimers();
    }

    private async Task RefreshFromHostAsync(string reason)
    {
        HostContainerStatus? remote;
        try
        {
            remote = await CallHost(ct => hosts.GetStatusAsync(S.HostKey, Name.Value, ct));
        }
        catch (WeComException)
        {
            return;
        }

        if (remote is null) return;
        if (remote.QrCode is { Length: > 0 }) S.QrCode = remote.QrCode;
        var status = (ContainerStatus)Math.Clamp(remote.Status, 0, 5);
        if (status == S.Status && status != ContainerStatus.LoginFailedRescan) return;
        Move(status, LoginStep.None, status == ContainerStatus.LoginFailedRescan ? $"{reason}; a fresh QR code is ready to scan" : $"{reason}; the host reports {status}", null);
        await CommitAsync();
    }

    private async Task HealthCheckAsync()
    {
        HostContainerStatus? remote;
        try
        {
            using var cts = new CancellationTokenSource(_options.HostCallTimeout);
            remote = await hosts.GetStatusAsync(S.HostKey, Name.Value, cts.Token);
        }
        catch (Exception e)
        {
            if (S.HostUnreachable || S.Status != ContainerStatus.Online) return;
            LogHostLost(logger, Name.Value, S.HostKey, e.Message);
            S.HostUnreachable = true;
            Move(ContainerStatus.Offline, LoginStep.None, $"the container host '{S.HostKey}' does not answer: {e.Message}", null);
            await CommitAsync();
            return;
        }

        if (S.HostUnreachable)
        {
            S.HostUnreachable = false;
            var status = remote is null ? ContainerStatus.LoggedOut : (ContainerStatus)Math.Clamp(remote.Status, 0, 5);
            Move(status, LoginStep.None, $"the container host '{S.HostKey}' answers again and reports {status}", null);
            await CommitAsync();
        }
        else if (remote is null || remote.Status != (int)ContainerStatus.Online)
        {
            var status = remote is null ? ContainerStatus.LoggedOut : (ContainerStatus)Math.Clamp(remote.Status, 0, 5);
            Move(status, LoginStep.None, $"health check: the host reports {status}", null);
            await CommitAsync();
        }
    }

    private bool NeedsWatching() => LifecycleWatch.NeedsWatching(S);

    private void ArmTimers()
    {
        _qrTimer?.Dispose();
        _qrTimer = null;
        if (!NeedsWatching())
        {
            _healthTimer?.Dispose();
            _healthTimer = null;
            return;
        }

        if (LifecycleWatch.UntilDeadline(S, time.GetUtcNow()) is { } due)
            _qrTimer = this.RegisterGrainTimer(_ => WatchAsync(), new GrainTimerCreationOptions { DueTime = due, Period = Timeout.InfiniteTimeSpan });

        _healthTimer ??= this.RegisterGrainTimer(_ => WatchAsync(), new GrainTimerCreationOptions
        {
            DueTime = _options.HealthCheckInterval,
            Period = _options.HealthCheckInterval,
        });
    }
}

using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>
/// The life cycle of one container as a persisted state machine. Every transition is written before the command or
/// callback that caused it is acknowledged, kept in a bounded history and announced to the tenant as
/// <c>account_state_changed</c>. Timers handle short waits (QR expiry, health checks); a reminder brings the grain
/// back after deactivation or silo loss while the container needs watching.
/// </summary>
public sealed partial class ContainerGrain(
    [PersistentState("container", StorageNames.Grains)] IPersistentState<ContainerState> state,
    IContainerHosts hosts,
    ITenantEventPublisher events,
    IOptions<LifecycleOptions> options,
    TimeProvider time,
    ILogger<ContainerGrain> logger) : Grain, IContainerGrain, IRemindable
{
    private const string WatchReminder = "lifecycle-watch";
    private readonly LifecycleOptions _options = options.Value;

    /// <summary>The binding last reported to the account grain by this activation.</summary>
    private AccountBinding? _bound;
    private IGrainTimer? _qrTimer;
    private IGrainTimer? _healthTimer;

    private ContainerState S => state.State;
    private HostName Name => new(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Initialized)
        {
            CountAs(S.Status);
            ArmTimers();
            await FlushPendingEventsAsync();
        }
    }

    public Task<ContainerView?> GetAsync() => Task.FromResult(S.Initialized ? View() : null);

    public Task<IReadOnlyList<LifecycleTransition>> GetHistoryAsync() =>
        Task.FromResult<IReadOnlyList<LifecycleTransition>>(EnsureExists().History.ToList());

    public Task<(string HostKey, string Path)?> GetQrCodePathAsync() =>
        Task.FromResult(S.Initialized && S.QrCode is { } qr ? (S.HostKey, qr) : ((string, string)?)null);

    public async Task<VerifyResult> VerifyAsync(string? key, string code)
    {
        EnsureExists();
        if (S.Status != ContainerStatus.LoggingIn || S.Step != LoginStep.RequireVerify)
            throw WeComException.InvalidState($"no verify code is awaited: the container is {S.Label}");
        if (code.Length != 6 || !code.All(char.IsAsciiDigit))
            throw WeComException.BadRequest("code must be the 6 digits shown on the phone");
        var result = await CallHost(ct => hosts.VerifyAsync(S.HostKey, Name.Value, key ?? S.QrKey ?? "", code, ct));
        if (result.ErrCode < 0)
        {
            LogVerifyRejected(logger, Name.Value, result.ErrCode);
            return result;
        }

        Move(ContainerStatus.LoggingIn, LoginStep.Scanning, "verify code accepted; waiting for login", null);
        await CommitAsync();
        return result;
    }

    public async Task StopAsync()
    {
        EnsureExists();
        if (S.Status is ContainerStatus.Offline or ContainerStatus.LoggedOut)
            throw WeComException.InvalidState($"cannot stop: the container is already {S.Label}");
        await CallHost(ct => hosts.StopAsync(S.HostKey, Name.Value, ct));
        Move(ContainerStatus.Offline, LoginStep.None, "stopped by the tenant; the login cache is kept (start logs in without a scan)", null);
        await CommitAsync();
    }

    public async Task StartAsync()
    {
        EnsureExists();
        switch (S.Status)
        {
            case ContainerStatus.LoggedOut:
                throw WeComException.InvalidState("cannot start: the container was logged out (removed); create a new container and scan its QR code");
            case ContainerStatus.LoginFailedRescan:
                throw WeComException.InvalidState("cannot start: the login failed and needs a new scan of the QR code shown in inner/user/wx/list");
            case ContainerStatus.Online or ContainerStatus.LoggingIn:
                throw WeComException.InvalidState($"cannot start: the container is already {S.Label}");
        }

        await CallHost(ct => hosts.StartAsync(S.HostKey, Name.Value, ct));
        S.LoginStartedAt = time.GetUtcNow();
        S.StuckReported = false;
        Move(ContainerStatus.LoggingIn, LoginStep.None, "started by the tenant; logging in with the cached login", S.LoginStartedAt + _options.LoginDeadline);
        await CommitAsync();
    }

    public async Task RemoveAsync()
    {
        EnsureExists();
        if (S.Status == ContainerStatus.LoggedOut)
            throw WeComException.InvalidState("cannot remove: the container is already logged out");
        await CallHost(ct => hosts.RemoveAsync(S.HostKey, Name.Value, ct));
        S.QrCode = null;
        S.QrKey = null;
        Move(ContainerStatus.LoggedOut, LoginStep.None, "removed by the tenant; the login cache is deleted (the next login needs a scan)", null);
        await CommitAsync();
    }

    public Task RestartAsync() => RestartAsync("restarted by the tenant; logging in again with the cached login");

    public async Task RequestRestartAsync(string reason)
    {
        try
        {
            await RestartAsync(reason);
        }
        catch (WeComException e)
        {
            LogRestartRefused(logger, Name.Value, e.Message);
        }
    }

    private async Task RestartAsync(string reason)
    {
        EnsureExists();
        if (S.Status is ContainerStatus.LoggedOut)
            throw WeComException.InvalidState("cannot restart: the container was logged out (removed); create a new container");
        if (S.Status is ContainerStatus.LoggingIn && S.Step is LoginStep.WaitingForScan or LoginStep.Scanning or LoginStep.RequireVerify)
            throw WeComException.InvalidState($"cannot restart: a QR login is in progress ({S.Label})");
        await CallHost(ct => hosts.RestartAsync(S.HostKey, Name.Value, ct));
        S.LoginStartedAt = time.GetUtcNow();
        S.StuckReported = false;
        Move(ContainerStatus.LoggingIn, LoginStep.None, reason, S.LoginStartedAt + _options.LoginDeadline);
        await CommitAsync();
    }

    public async Task ApplyAsync(LifecycleSignal signal, DateTimeOffset at)
    {
        if (!S.Initialized)
        {
            LogUnknownContainer(logger, Name.Value, signal.GetType().Name);
            return;
        }

        // Hosts redeliver, and the inbox replays after a crash: a signal older than the last one applied, or a QR
        // status once the login is over, must not move the state machine back.
        if (S.LastSignalAt is { } last && at < last)
        {
            LogStaleSignal(logger, Name.Value, signal.GetType().Name, at, last);
            return;
        }

        if (signal is LifecycleSignal.QrStatus && S.Status is not (ContainerStatus.LoggingIn or ContainerStatus.LoginFailedRescan))
        {
            LogStaleSignal(logger, Name.Value, signal.GetType().Name, at, S.LastSignalAt ?? at);
            return;
        }

        S.LastSignalAt = at;
        switch (signal)
        {
            case LifecycleSignal.QrStatus qr:
                ApplyQrStatus(qr);
                break;
            case LifecycleSignal.UserLogin login:
                // The tenant lists the account before the container reads as online (GetAsync interleaves with this
                // turn): a tenant that sees the login may send at once.
                await GrainFactory.GetGrain<ITenantGrain>(S.Tenant).AddAccountAsync(login.Profile.WxId);
                S.Profile = login.Profile;
                S.QrKey = null;
                S.HostUnreachable = false;
                Move(ContainerStatus.Online, LoginStep.None, $"logged in as {login.Profile.WxId} of corp {login.Profile.CorpId}", null);
                break;
            case LifecycleSignal.UserOffline:
                if (S.Status is ContainerStatus.Offline or ContainerStatus.LoggedOut) return;
                Move(ContainerStatus.Offline, LoginStep.None, "the host reports the account offline (logged out, logged in elsewhere or crashed)", null);
                break;
            case LifecycleSignal.SafeValidate sv:
                S.QrCode = sv.QrCode ?? S.QrCode;
                Move(S.Status == ContainerStatus.LoggingIn ? ContainerStatus.LoggingIn : ContainerStatus.Online, LoginStep.SafeValidatePending,
                    "WeCom asks for a safe-validate scan of a new QR code", time.GetUtcNow() + _options.SafeValidateWindow);
                break;
        }

        await CommitAsync();
    }

    private void ApplyQrStatus(LifecycleSignal.QrStatus qr)
    {
        var now = time.GetUtcNow();
        if (qr.QrKey is { Length: > 0 }) S.QrKey = qr.QrKey;
        switch (qr.Status)
        {
            case 0:
                var lifetime = qr.KeepSec is > 0 ? TimeSpan.FromSeconds(qr.KeepSec.Value) : _options.DefaultQrLifetime;
                Move(ContainerStatus.LoggingIn, LoginStep.WaitingForScan, "QR code ready; waiting for the scan", now + lifetime);
                break;
            case 1 or 5:
                Move(ContainerStatus.LoggingIn, LoginStep.Scanning, "QR code scanned; waiting for confirmation on the phone", S.Deadline);
                break;
            case 2 or 6 or 9:
                Move(ContainerStatus.LoggingIn, LoginStep.Scanning, "login confirmed on the phone; waiting for the account to log in", null);
                break;
            case 10:
                Move(ContainerStatus.LoggingIn, LoginStep.RequireVerify, "WeCom requires the 6-digit verify code shown on the phone", S.Deadline);
                break;
            case 3 or 4 or 7 or 8:
                Move(ContainerStatus.LoginFailedRescan, LoginStep.None, $"the scan failed or was refused (QR status {qr.Status}); scan again", null);
                break;
        }
    }

    private void Move(ContainerStatus status, LoginStep step, string reason, DateTimeOffset? deadline)
    {
        var from = S.Label;
        if (status == ContainerStatus.Online && S.Status != ContainerStatus.Online && S.LoginStartedAt is { } started)
            WeComTelemetry.LoginDuration.Record((time.GetUtcNow() - started).TotalSeconds);
        if (status != S.Status) WeComTelemetry.LifecycleTransitions.Add(1, new KeyValuePair<string, object?>("status", status.ToString()));
        S.Status = status;
        CountAs(status);
        S.Step = step;
        S.Deadline = deadline;
        if (status != ContainerStatus.LoggingIn) S.LoginStartedAt = null;
        Record(from, reason, deadline, time.GetUtcNow());
    }

    private void Record(string from, string reason, DateTimeOffset? deadline, DateTimeOffset now)
    {
        var transition = new LifecycleTransition(now, from, S.Label, reason, deadline);
        S.History.Add(transition);
        if (S.History.Count > _options.HistoryLimit) S.History.RemoveRange(0, S.History.Count - _options.HistoryLimit);
        S.UpdatedAt = now;
        LogTransition(logger, Name.Value, from, S.Label, reason);
        S.PendingEvents.Add(Event(TenantEventTypes.AccountStateChanged, new
        {
            hostname = Name.Value,
            wxId = S.Profile?.WxId.Value,
            from,
            to = S.Label,
            status = (int)S.Status,
            step = S.Step.ToString(),
            reason,
            deadline = deadline?.ToUnixTimeMilliseconds(),
            at = now.ToUnixTimeMilliseconds(),
        }));
    }

    private void Alert(string kind, string message) =>
        S.PendingEvents.Add(Event(TenantEventTypes.AccountAlert, new { hostname = Name.Value, wxId = S.Profile?.WxId.Value, kind, message, status = (int)S.Status }));

    private TenantEvent Event(string type, object data) => new(
        Guid.NewGuid().ToString(), new TenantId(S.Tenant), type, Name.Value, S.UserId, S.Profile?.WxId.Value,
        time.GetUtcNow().ToUnixTimeMilliseconds(), JsonSerializer.Serialize(data), null, null);

    /// <summary>Persists the state and its pending events together, then hands the events on.</summary>
    private async Task CommitAsync()
    {
        await state.WriteStateAsync();
        if (S.Profile is { } profile && AccountBinding.Of(View()) is var binding && binding != _bound)
        {
            // Only what the account needs, and only when it changed: most transitions leave it as it was.
            await GrainFactory.GetGrain<IAccountGrain>(profile.WxId.Value).BindAsync(binding);
            _bound = binding;
        }
        ArmTimers();
        if (NeedsWatching())
            await this.RegisterOrUpdateReminder(WatchReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(Math.Max(1, _options.HealthCheckInterval.TotalMinutes)));
        await FlushPendingEventsAsync();
    }

    private async Task FlushPendingEventsAsync()
    {
        if (S.PendingEvents.Count == 0) return;
        try
        {
            foreach (var e in S.PendingEvents) await events.PublishAsync(e);
            S.PendingEvents.Clear();
        }
        catch (Exception e)
        {
            // They stay persisted and go out with the next commit or activation.
            LogPublishFailed(logger, Name.Value, e.Message);
        }
    }

    private ContainerState EnsureExists() =>
        S.Initialized ? S : throw WeComException.NotFound($"container '{Name}' does not exist");

    private async Task<T> CallHost<T>(Func<CancellationToken, Task<T>> call)
    {
        using var cts = new CancellationTokenSource(_options.HostCallTimeout);
        try
        {
            return await call(cts.Token);
        }
        catch (WeComException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new WeComException(ErrorCodes.HostUnavailable, $"container host '{S.HostKey}' failed: {e.Message}");
        }
    }

    private Task CallHost(Func<CancellationToken, Task> call) => CallHost<bool>(async ct =>
    {
        await call(ct);
        return true;
    });

    private ContainerView View() => new(
        Name, S.HostKey, new TenantId(S.Tenant), S.UserId, S.Status, S.Step, S.Profile, S.QrCode is not null, S.QrKey,
        S.Deadline, S.CreatedAt, S.UpdatedAt, S.Version, S.WxPid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {HostName}: automatic restart refused: {Reason}")]
    private static partial void LogRestartRefused(ILogger logger, string hostName, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {HostName}: {From} -> {To} ({Reason})")]
    private static partial void LogTransition(ILogger logger, string hostName, string from, string to, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {HostName}: verify code rejected by the host (errcode {ErrCode})")]
    private static partial void LogVerifyRejected(ILogger logger, string hostName, int errCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback {Signal} for unknown container {HostName} ignored")]
    private static partial void LogUnknownContainer(ILogger logger, string hostName, string signal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {HostName}: host {HostKey} does not answer: {Error}")]
    private static partial void LogHostLost(ILogger logger, string hostName, string hostKey, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {HostName}: stale {Signal} of {At:O} ignored (last applied {Last:O}, or the login is over)")]
    private static partial void LogStaleSignal(ILogger logger, string hostName, string signal, DateTimeOffset at, DateTimeOffset last);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {HostName}: events not yet published: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, string hostName, string error);
}

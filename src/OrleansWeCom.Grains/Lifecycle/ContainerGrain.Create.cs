namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>
/// The container's creation. A hostname the host hands out again means the container that had it is gone: nothing of it
/// passes to the new owner.
/// </summary>
public sealed partial class ContainerGrain
{
    public async Task InitializeAsync(TenantId tenant, string userId, string hostKey, string hostQrCode, string? version, int? wxPid, string createTime)
    {
        if (S.Initialized)
        {
            // The same create told twice (a retry) changes nothing.
            if (S.Tenant == tenant.Value && S.HostKey == hostKey && S.UserId == userId && S.CreateTime == createTime) return;
            await RetireForReusedNameAsync(hostKey);
        }

        var now = time.GetUtcNow();
        S.Initialized = true;
        S.Tenant = tenant.Value;
        S.UserId = userId;
        S.HostKey = hostKey;
        S.QrCode = hostQrCode;
        S.Version = version;
        S.WxPid = wxPid;
        S.CreateTime = createTime;
        S.CreatedAt = now;
        S.LoginStartedAt = now;
        S.Status = ContainerStatus.LoggingIn;
        CountAs(S.Status);
        S.Step = LoginStep.WaitingForScan;
        S.Deadline = now + _options.DefaultQrLifetime;
        Record("Created", "container created; waiting for the QR code to be scanned", S.Deadline, now);
        await CommitAsync();
        // The tenant's list is what the gateway checks a hostname against before it calls this grain.
        await GrainFactory.GetGrain<ITenantGrain>(tenant.Value).AddContainerAsync(Name);
    }

    /// <summary>
    /// Ends the container that held this name, then clears the state for the new one. Its tenant is told (LoggedOut) and
    /// its account logged out; its history, profile and QR code are dropped, so the new tenant sees none of them. A name
    /// another host still uses for a live container is refused instead: hostnames are one namespace over all hosts.
    /// </summary>
    private async Task RetireForReusedNameAsync(string hostKey)
    {
        if (S.HostKey != hostKey && S.Status != ContainerStatus.LoggedOut)
            throw new WeComException(ErrorCodes.HostError,
                $"container host '{hostKey}' returned hostname '{Name}', which a live container of host '{S.HostKey}' already has");
        if (S.Status != ContainerStatus.LoggedOut)
        {
            S.QrCode = null;
            S.QrKey = null;
            Move(ContainerStatus.LoggedOut, LoginStep.None, "the host gave this container's name to a new container: this one no longer exists", null);
            await CommitAsync();
        }

        LogNameReused(logger, Name.Value, S.Tenant);
        // Events of the old owner not yet handed on stay queued: each carries its own tenant.
        var pending = S.PendingEvents;
        state.State = new ContainerState { PendingEvents = pending };
        _bound = null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {HostName}: the host reused the name; the container of tenant {Tenant} is ended")]
    private static partial void LogNameReused(ILogger logger, string hostName, string tenant);
}

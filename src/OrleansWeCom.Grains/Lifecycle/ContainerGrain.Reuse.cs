namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>A hostname the host hands out again: the container that had it is gone, and nothing of it passes to the new owner.</summary>
public sealed partial class ContainerGrain
{
    /// <summary>
    /// Ends the container that held this name, then clears the state for the new one. Its tenant is told (LoggedOut) and
    /// its account unbound; its history, profile and QR code are dropped, so the new tenant sees none of them. A name
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

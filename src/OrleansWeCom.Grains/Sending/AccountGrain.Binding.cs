namespace OrleansWeCom.Grains.Sending;

/// <summary>Which container may bind the account, and what a move to another tenant leaves behind.</summary>
public sealed partial class AccountGrain
{
    /// <summary>
    /// Why another container's report may not replace the current binding, or null when it may. Only an online login
    /// takes the account from a container that still has it; a container reporting it offline or logged out (an older
    /// container of the same wxId, ended or stopped) cannot take it from a live one.
    /// </summary>
    internal static string? TakeOverRefused(AccountBinding current, AccountBinding reported) =>
        current.HostName == reported.HostName || reported.Status == ContainerStatus.Online || current.Status == ContainerStatus.LoggedOut
            ? null
            : $"container {reported.HostName} reports it {reported.Status} while container {current.HostName} has it {current.Status}";

    /// <summary>
    /// The account moves to another tenant: the sends the tenant before queued are failed, not sent from the new
    /// tenant's login, and its keys are forgotten. A send already handed to the host keeps its outcome.
    /// </summary>
    private async Task DropSendsOfAsync(TenantId previous)
    {
        var now = time.GetUtcNow();
        var dropped = _queue.ToList();
        _queue.Clear();
        foreach (var row in dropped)
        {
            _open.Remove(row.MsgId);
            _traces.Remove(row.MsgId);
            await outbox.SaveAsync(row with
            {
                State = SendState.Failed, SettledAt = now, NextAttemptAt = null, ErrorCode = ErrorCodes.InvalidState,
                ErrorMessage = "not sent: the account logged in for another tenant before its turn",
            });
        }

        _idempotency.Clear();
        SyncDepth();
        CountSettled("failed", dropped.Count);
        if (dropped.Count > 0) LogSendsDropped(logger, WxId, dropped.Count, previous.Value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId}: binding from container {Reported} ignored (container {Current} has the account): {Why}")]
    private static partial void LogBindingRefused(ILogger logger, string wxId, string reported, string current, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {WxId} moved away from tenant {Tenant}: its {Count} queued sends are failed")]
    private static partial void LogSendsDropped(ILogger logger, string wxId, int count, string tenant);
}

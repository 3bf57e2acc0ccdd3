namespace OrleansWeCom;

/// <summary>The seed's account Status: 0 online … 5 login failed (needs support).</summary>
public enum ContainerStatus
{
    Online = 0,
    Offline = 1,
    LoggedOut = 2,
    LoggingIn = 3,
    LoginFailedRescan = 4,
    LoginFailedSupport = 5,
}

/// <summary>Where a login stands inside Status 3 (and the safe-validate wait of an online account).</summary>
public enum LoginStep
{
    None = 0,
    WaitingForScan = 1,
    Scanning = 2,
    RequireVerify = 3,
    SafeValidatePending = 4,
}

/// <summary>One persisted transition of a container's life cycle.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleTransition")]
public sealed record LifecycleTransition(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string From,
    [property: Id(2)] string To,
    [property: Id(3)] string Reason,
    [property: Id(4)] DateTimeOffset? Deadline);

/// <summary>The profile <c>user_login</c> reports for the account logged into a container.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.AccountProfile")]
public sealed record AccountProfile(
    [property: Id(0)] WxId WxId,
    [property: Id(1)] CorpId CorpId,
    [property: Id(2)] string? Username = null,
    [property: Id(3)] string? Nickname = null,
    [property: Id(4)] string? Avatar = null,
    [property: Id(5)] string? Mobile = null,
    [property: Id(6)] string? Position = null,
    [property: Id(7)] string? Account = null,
    [property: Id(8)] string? Acctid = null,
    [property: Id(9)] string? JobName = null,
    [property: Id(10)] string? CorpName = null,
    [property: Id(11)] string? CorpShortName = null);

/// <summary>What a tenant sees of one container: the seed's <c>inner/user/wx/list</c> item plus our login detail.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.ContainerView")]
public sealed record ContainerView(
    [property: Id(0)] HostName HostName,
    [property: Id(1)] string HostKey,
    [property: Id(2)] TenantId Tenant,
    [property: Id(3)] string UserId,
    [property: Id(4)] ContainerStatus Status,
    [property: Id(5)] LoginStep Step,
    [property: Id(6)] AccountProfile? Profile,
    [property: Id(7)] bool HasQrCode,
    [property: Id(8)] string? QrKey,
    [property: Id(9)] DateTimeOffset? Deadline,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] DateTimeOffset UpdatedAt,
    [property: Id(12)] string? Version,
    [property: Id(13)] int? WxPid);

/// <summary>The result of <c>container/create</c>, as the seed returns it (the QR code path is ours, not the host's).</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.CreatedContainer")]
public sealed record CreatedContainer(
    [property: Id(0)] HostName HostName,
    [property: Id(1)] string QrCode,
    [property: Id(2)] string? Version,
    [property: Id(3)] string CreateTime,
    [property: Id(4)] int? WxPid);

/// <summary>The verify code check's answer, the seed's <c>{"errcode":0,"errmsg":"ok"}</c>.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.VerifyResult")]
public sealed record VerifyResult([property: Id(0)] int ErrCode, [property: Id(1)] string ErrMsg);

/// <summary>A lifecycle event reported by a container host (the callbacks that move the state machine).</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleSignal")]
public abstract record LifecycleSignal
{
    [GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleSignal.QrStatus")]
    public sealed record QrStatus([property: Id(0)] int Status, [property: Id(1)] string? QrKey, [property: Id(2)] int? KeepSec,
        [property: Id(3)] string? Vid, [property: Id(4)] string? CorpId, [property: Id(5)] string? NickName) : LifecycleSignal;

    [GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleSignal.UserLogin")]
    public sealed record UserLogin([property: Id(0)] AccountProfile Profile) : LifecycleSignal;

    [GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleSignal.UserOffline")]
    public sealed record UserOffline : LifecycleSignal;

    [GenerateSerializer, Immutable, Alias("OrleansWeCom.LifecycleSignal.SafeValidate")]
    public sealed record SafeValidate([property: Id(0)] string? QrCode, [property: Id(1)] string? UserName) : LifecycleSignal;
}

/// <summary>
/// The life cycle of one container, keyed by its hostname: from <c>create</c> and the QR scan (before any wxId is known)
/// through login, stop/start, restart and remove. The hostname is what every lifecycle command and callback names.
/// </summary>
[Alias("OrleansWeCom.IContainerGrain")]
public interface IContainerGrain : IGrainWithStringKey
{
    /// <summary>Records a container just created on host <paramref name="hostKey"/> for a tenant's user.</summary>
    [Alias("Initialize")]
    Task InitializeAsync(TenantId tenant, string userId, string hostKey, string hostQrCode, string? version, int? wxPid, string createTime);

    [AlwaysInterleave, Alias("Get")] Task<ContainerView?> GetAsync();

    [Alias("Verify")] Task<VerifyResult> VerifyAsync(string? key, string code);

    [Alias("Stop")] Task StopAsync();

    [Alias("Start")] Task StartAsync();

    [Alias("Remove")] Task RemoveAsync();

    [Alias("Restart")] Task RestartAsync();

    /// <summary>
    /// Restarts the container when its state allows, for the account grain that found it a zombie. One-way: the account
    /// learns the outcome from the transitions the container reports back (<see cref="IAccountGrain.BindAsync"/>).
    /// </summary>
    [OneWay, Alias("RequestRestart")] Task RequestRestartAsync(string reason);

    [Alias("History")] Task<IReadOnlyList<LifecycleTransition>> GetHistoryAsync();

    /// <summary>The current QR code image (login or safe-validate) as the host serves it: path on the host.</summary>
    [Alias("QrCodePath")] Task<(string HostKey, string Path)?> GetQrCodePathAsync();

    /// <summary>A host callback that moves the life cycle.</summary>
    [Alias("Apply")] Task ApplyAsync(LifecycleSignal signal, DateTimeOffset at);
}

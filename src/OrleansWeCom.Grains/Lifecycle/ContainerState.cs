namespace OrleansWeCom.Grains.Lifecycle;

[GenerateSerializer]
public sealed class ContainerState
{
    [Id(0)] public bool Initialized { get; set; }
    [Id(1)] public string Tenant { get; set; } = "";
    [Id(2)] public string UserId { get; set; } = "";
    [Id(3)] public string HostKey { get; set; } = "";
    [Id(4)] public ContainerStatus Status { get; set; } = ContainerStatus.LoggingIn;
    [Id(5)] public LoginStep Step { get; set; } = LoginStep.WaitingForScan;
    [Id(6)] public AccountProfile? Profile { get; set; }
    [Id(7)] public string? QrCode { get; set; }
    [Id(8)] public string? QrKey { get; set; }
    [Id(9)] public DateTimeOffset? Deadline { get; set; }
    [Id(10)] public DateTimeOffset CreatedAt { get; set; }
    [Id(11)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(12)] public string? Version { get; set; }
    [Id(13)] public int? WxPid { get; set; }
    [Id(14)] public string? CreateTime { get; set; }
    [Id(15)] public List<LifecycleTransition> History { get; set; } = [];

    /// <summary>When the current login attempt began (for the stuck-login report).</summary>
    [Id(16)] public DateTimeOffset? LoginStartedAt { get; set; }

    [Id(17)] public bool StuckReported { get; set; }

    /// <summary>Set when the health check lost the host; cleared when it answers again.</summary>
    [Id(18)] public bool HostUnreachable { get; set; }

    /// <summary>Events persisted with the transition that raised them and not yet handed to the tenant's event log.</summary>
    [Id(19)] public List<TenantEvent> PendingEvents { get; set; } = [];

    /// <summary>The host timestamp of the last lifecycle callback applied.</summary>
    [Id(20)] public DateTimeOffset? LastSignalAt { get; set; }

    public string Label => Step == LoginStep.None ? Status.ToString() : $"{Status}/{Step}";
}

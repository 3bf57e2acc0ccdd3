namespace OrleansWeCom.Emulator.Core;

/// <summary>The Status codes of <c>/inner/user/wx/list</c>.</summary>
internal enum ContainerStatus
{
    Online = 0,
    Offline = 1,
    LoggedOut = 2,
    LoggingIn = 3,
    Rescan = 4,
    Failed = 5,
}

/// <summary>The QrcodeStatus enum of the seed.</summary>
internal static class QrStatus
{
    public const int Never = 0;
    public const int Scanning = 1;
    public const int Success = 2;
    public const int Fail = 3;
    public const int RequireVerify = 10;
}

internal sealed record SentEntry(string MsgId, string Type, string WxId, string ConversationId, DateTimeOffset ReceivedAt, int ErrorCode, string? ServerId, string? Content);

/// <summary>One container: a WeCom client process bound, once logged in, to one account of the world.</summary>
internal sealed class Container(string hostname, string userId, DateTimeOffset createTime, int wxPid, int sentLogCapacity)
{
    private readonly Queue<SentEntry> _sent = new();

    public string Hostname { get; } = hostname;
    public string UserId { get; } = userId;
    public DateTimeOffset CreateTime { get; } = createTime;
    public int WxPid { get; } = wxPid;
    public ContainerStatus Status { get; set; } = ContainerStatus.LoggingIn;
    public Person? Account { get; set; }

    /// <summary>The account the phone scanned with, before the login completes.</summary>
    public Person? PendingAccount { get; set; }
    public string QrKey { get; set; } = "";
    public string QrPath { get; set; } = "";
    public bool Scanned { get; set; }
    public string? VerifyCode { get; set; }
    public ITimer? QrTimer { get; set; }
    public int QrGeneration { get; set; }

    public bool AwaitingVerify => VerifyCode is not null;
    public bool AwaitingScan => Status is ContainerStatus.LoggingIn or ContainerStatus.Rescan && !Scanned;

    public void Record(SentEntry entry)
    {
        if (_sent.Count >= sentLogCapacity)
        {
            _sent.Dequeue();
        }

        _sent.Enqueue(entry);
    }

    public SentEntry[] Sent() => _sent.ToArray();
}

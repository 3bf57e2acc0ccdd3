namespace OrleansWeCom.Storage.Outbox;

/// <summary>One accepted send as it is stored: the outbox row.</summary>
public sealed record OutboxRow(
    string MsgId, string Tenant, string WxId, long Seq, SendKind Kind, string ConversationId, string Body, SendState State,
    int Attempts, DateTimeOffset EnqueuedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? SettledAt,
    DateTimeOffset? NextAttemptAt, string? HostMsgId, int? ErrorCode, string? ErrorMessage, string? IdempotencyKey)
{
    public SendStatus ToStatus() => new(MsgId, new WxId(WxId), Kind, ConversationId, State, Attempts, EnqueuedAt, LastAttemptAt,
        SettledAt, HostMsgId, ErrorCode, ErrorMessage);
}

namespace OrleansWeCom;

/// <summary>
/// An event for a tenant in the seed's callback envelope: host callbacks and our own events such as
/// <c>account_state_changed</c>. <see cref="DataJson"/> is the envelope's <c>data</c> as JSON text; <see cref="TraceParent"/>
/// the W3C traceparent of the span that produced it, which the webhook delivery continues (never sent to the tenant).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantEvent")]
public sealed record TenantEvent(
    [property: Id(0)] string MsgId,
    [property: Id(1)] TenantId Tenant,
    [property: Id(2)] string Type,
    [property: Id(3)] string? Source,
    [property: Id(4)] string? UserId,
    [property: Id(5)] string? WxId,
    [property: Id(6)] long Timestamp,
    [property: Id(7)] string? DataJson,
    [property: Id(8)] string? SendMsgId,
    [property: Id(9)] string? ConversationId,
    [property: Id(10)] string? TraceParent = null);

public static class TenantEventTypes
{
    public const string AccountStateChanged = "account_state_changed";
    public const string AccountAlert = "account_alert";
}

/// <summary>
/// The live stream of a tenant's account events (life-cycle transitions and alerts), keyed by tenant id, for internal
/// services on the cluster client: subscribe to <c>StreamId.Create(Namespace, tenantId)</c> of provider
/// <see cref="Provider"/>. Live only: what a subscriber missed is in the event log (<c>events?after=</c>).
/// </summary>
public static class AccountEventStreams
{
    public const string Provider = "wecom-live";
    public const string Namespace = "account-events";
}

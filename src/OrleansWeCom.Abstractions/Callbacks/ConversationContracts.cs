namespace OrleansWeCom.Callbacks;

/// <summary>
/// One message of a conversation as we keep it: the seed's fields that matter for a chat list, not the media. A state
/// holds a hundred of them and each is its own object, so the serializer does not track references to them.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("OrleansWeCom.ConversationMessage")]
public sealed record ConversationMessage(
    [property: Id(0)] string MsgId,
    [property: Id(1)] string Type,
    [property: Id(2)] string? ServerId,
    [property: Id(3)] string? Sender,
    [property: Id(4)] string? SenderName,
    [property: Id(5)] string? Receiver,
    [property: Id(6)] bool Outbound,
    [property: Id(7)] long? SendTime,
    [property: Id(8)] long Timestamp,
    [property: Id(9)] int? ContentType,
    [property: Id(10)] string Preview,
    [property: Id(11)] string? SendMsgId,
    [property: Id(12)] bool IsOpenApi,
    [property: Id(13)] int? ErrorCode,
    [property: Id(14)] string? ErrorMessage,
    [property: Id(15)] string? Media);

/// <summary>A message for <see cref="IConversationGrain.AppendBatchAsync"/>, its tenant event and the inbox row that carried it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.ConversationAppend")]
public sealed record ConversationAppend([property: Id(0)] ConversationMessage Message, [property: Id(1)] TenantEvent Event, [property: Id(2)] long InboxId);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.ConversationParticipant")]
public sealed record ConversationParticipant([property: Id(0)] string Id, [property: Id(1)] string? Name);

[GenerateSerializer, Immutable, Alias("OrleansWeCom.ConversationSummary")]
public sealed record ConversationSummary(
    [property: Id(0)] TenantId Tenant,
    [property: Id(1)] WxId WxId,
    [property: Id(2)] ConversationId ConversationId,
    [property: Id(3)] ConversationMessage? LastMessage,
    [property: Id(4)] long LastActivity,
    [property: Id(5)] int UnreadCount,
    [property: Id(6)] IReadOnlyList<ConversationParticipant> Participants,
    [property: Id(7)] long MessageCount,
    [property: Id(8)] long LastReadAt);

/// <summary>
/// One conversation of one account, keyed <c>{wxId}|{conversationId}</c>: recent messages (bounded), last activity,
/// unread count since the tenant last read, participants. Applies each message once (by callback msgId and server id).
/// </summary>
[Alias("OrleansWeCom.IConversationGrain")]
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies a message, hands <paramref name="tenantEvent"/> to the tenant (rewritten as the kept copy says: a send of
    /// ours carries our msgId) and takes over acknowledging inbox row <paramref name="inboxId"/>, which is marked
    /// processed once the state holding the message is written. Returns the copy kept (the earlier one for a repeat)
    /// once the tenant event is stored; throws when it could not be.
    /// </summary>
    [Alias("Append")]
    Task<ConversationMessage> AppendAsync(TenantId tenant, ConversationMessage message, TenantEvent tenantEvent, long inboxId);

    /// <summary>
    /// <see cref="AppendAsync"/> for a router's batch, in order: one call per conversation per batch. Returns once every
    /// tenant event is stored, so the router counts the batch applied only then; throws when one could not be, and the
    /// router's stream delivers the batch again (a repeat is applied once and stored once).
    /// </summary>
    [Alias("AppendBatch")]
    Task AppendBatchAsync(TenantId tenant, IReadOnlyList<ConversationAppend> items);

    [AlwaysInterleave, Alias("GetMessages")] Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(int limit);

    [AlwaysInterleave, Alias("GetSummary")] Task<ConversationSummary?> GetSummaryAsync();

    /// <summary>The tenant has read everything up to now: the unread count starts again from zero.</summary>
    [Alias("MarkRead")] Task<ConversationSummary?> MarkReadAsync();

    /// <summary>Writes pending changes now (tests and shutdown); normally a timer does.</summary>
    [Alias("Flush")] Task FlushAsync();

    public static string Key(WxId wxId, ConversationId conversationId) => $"{wxId.Value}|{conversationId.Value}";
}

/// <summary>The conversations one account (keyed by wxId) has seen, for the conversation list.</summary>
[Alias("OrleansWeCom.IAccountConversationsGrain")]
public interface IAccountConversationsGrain : IGrainWithStringKey
{
    [Alias("Add")] Task AddAsync(ConversationId conversationId);

    [AlwaysInterleave, Alias("Get")] Task<IReadOnlyList<ConversationId>> GetAsync();
}

using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Callbacks;

public sealed record ConversationReadRequest(string? WxId, string? ConversationId);

/// <summary>The aggregated views on the tenant openAPI: conversations of an account and the state of a room.</summary>
public static class ConversationEndpoints
{
    public static void MapConversations(this RouteGroupBuilder open)
    {
        open.MapGet("/conversation/messages", async (HttpContext http, IGrainFactory grains) =>
        {
            var q = http.Request.Query;
            var wxId = await OwnedAccount(http, grains, q["wxId"]);
            // A conversation the account never had lists no messages, without activating a grain for it.
            if (await KnownConversation(grains, wxId, q["conversationId"]) is not { } conversationId) return Envelope.Ok(Array.Empty<object>());
            var limit = q["limit"].ToString() is { Length: > 0 } l
                ? int.TryParse(l, out var n) && n > 0 ? n : throw ApiError.BadRequest($"limit must be a positive number, got '{l}'")
                : 50;
            var grain = grains.GetGrain<IConversationGrain>(IConversationGrain.Key(wxId, conversationId));
            var summary = await grain.GetSummaryAsync();
            if (summary is null || summary.Tenant != http.Tenant()) return Envelope.Ok(Array.Empty<object>());
            var messages = await grain.GetMessagesAsync(limit);
            return Envelope.Ok(messages.Select(Message));
        });

        open.MapGet("/conversation/list", async (HttpContext http, IGrainFactory grains) =>
        {
            var wxId = await OwnedAccount(http, grains, http.Request.Query["wxId"]);
            var ids = await grains.GetGrain<IAccountConversationsGrain>(wxId.Value).GetAsync();
            var summaries = await Task.WhenAll(ids.Select(c => grains.GetGrain<IConversationGrain>(IConversationGrain.Key(wxId, c)).GetSummaryAsync()));
            var tenant = http.Tenant();
            return Envelope.Ok(summaries.OfType<ConversationSummary>().Where(s => s.Tenant == tenant)
                .OrderByDescending(s => s.LastActivity).Select(Summary));
        });

        open.MapPost("/conversation/read", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<ConversationReadRequest>(http.Request);
            var wxId = await OwnedAccount(http, grains, body.WxId);
            var conversationId = await KnownConversation(grains, wxId, body.ConversationId)
                                 ?? throw ApiError.NotFound($"conversation '{body.ConversationId}' of {wxId} not found");
            var summary = await grains.GetGrain<IConversationGrain>(IConversationGrain.Key(wxId, conversationId)).MarkReadAsync();
            if (summary is null || summary.Tenant != http.Tenant()) throw ApiError.NotFound($"conversation '{conversationId}' of {wxId} not found");
            return Envelope.Ok(Summary(summary));
        });

        open.MapGet("/group/state", async (HttpContext http, IGrainFactory grains) =>
        {
            var text = http.Request.Query["conversationId"].ToString();
            if (!ConversationId.TryParse(text, null, out var room, out var error) || !room.IsRoom)
                throw ApiError.BadRequest(error.Length > 0 ? error : $"conversationId '{text}' is not a room id of the form R:<digits>");
            var tenant = http.Tenant();
            var view = await grains.GetGrain<IGroupGrain>(room.RoomId!).GetAsync();
            // Only a tenant with an account in the room may see it; other tenants' accounts stay hidden.
            if (view is null || view.Accounts.All(a => a.Tenant != tenant)) throw ApiError.NotFound($"room '{room}' not found");
            return Envelope.Ok(new
            {
                conversationId = view.ConversationId.Value,
                name = view.Name,
                ownerId = view.OwnerId,
                members = view.Members.Select(m => new { userId = m.UserId, name = m.Name, joinedAt = m.JoinedAt, inviterId = m.InviterId, inviterName = m.InviterName }),
                notices = view.Notices.Select(n => new { at = n.At, kind = n.Kind.ToString(), text = n.Text, opUserId = n.OpUserId }),
                accounts = view.Accounts.Where(a => a.Tenant == tenant).Select(a => a.WxId.Value),
                version = view.Version,
                updatedAt = view.UpdatedAt,
            });
        });
    }

    private static async Task<WxId> OwnedAccount(HttpContext http, IGrainFactory grains, string? text)
    {
        var wxId = Require.WxId(text);
        if (!await grains.GetGrain<ITenantGrain>(http.Tenant().Value).HasAccountAsync(wxId)) throw ApiError.NotFound($"account '{wxId}' not found");
        return wxId;
    }

    /// <summary>A conversation of the account's list: an id it never had activates no conversation grain.</summary>
    private static async Task<ConversationId?> KnownConversation(IGrainFactory grains, WxId wxId, string? text)
    {
        var id = Conversation(text, wxId);
        var known = await grains.GetGrain<IAccountConversationsGrain>(wxId.Value).GetAsync();
        return known.Contains(id) ? id : null;
    }

    private static ConversationId Conversation(string? text, WxId owner) =>
        ConversationId.TryParse(text, owner, out var id, out var error) ? id : throw ApiError.BadRequest(error);

    private static object Message(ConversationMessage m) => new
    {
        msgId = m.MsgId,
        type = m.Type,
        serverId = m.ServerId,
        sender = m.Sender,
        senderName = m.SenderName,
        receiver = m.Receiver,
        isPc = m.Outbound ? 1 : 0,
        sendTime = m.SendTime,
        timestamp = m.Timestamp,
        contentType = m.ContentType,
        content = m.Preview,
        media = m.Media,
        sendMsgId = m.SendMsgId,
        isOpenApi = m.IsOpenApi,
        errorCode = m.ErrorCode,
        errorMessage = m.ErrorMessage,
    };

    private static object Summary(ConversationSummary s) => new
    {
        conversationId = s.ConversationId.Value,
        wxId = s.WxId.Value,
        lastMessage = s.LastMessage is null ? null : Message(s.LastMessage),
        lastActivity = s.LastActivity,
        unreadCount = s.UnreadCount,
        lastReadAt = s.LastReadAt,
        messageCount = s.MessageCount,
        participants = s.Participants.Select(p => new { id = p.Id, name = p.Name }),
    };
}

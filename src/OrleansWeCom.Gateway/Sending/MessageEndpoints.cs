using System.Text.Json.Serialization;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Sending;

public sealed record MsgIdResponse([property: JsonPropertyName("msgId")] string MsgId);

/// <summary>The seed's send endpoints: validate, check ownership, persist in the account's outbox, answer the msgId.</summary>
public static class MessageEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static void MapMessages(this RouteGroupBuilder open)
    {
        foreach (var kind in Enum.GetValues<SendKind>())
        {
            open.MapPost("/" + kind.Path(), async (HttpContext http, SendService sends) =>
            {
                var body = await ReadAsync(http.Request);
                var key = http.Request.Headers[IdempotencyHeader].ToString();
                if (key.Length > 128) throw ApiError.BadRequest($"{IdempotencyHeader} is longer than 128 characters");
                var msgId = await sends.SendAsync(http.Tenant(), kind, body, string.IsNullOrEmpty(key) ? null : key, http.RequestAborted);
                return Envelope.Ok(new MsgIdResponse(msgId));
            });
        }

        open.MapGet("/msg/status", async (HttpContext http, IOutboxQueries outbox) =>
        {
            var msgId = Require.Text(http.Request.Query["msgId"], "msgId");
            var found = await outbox.FindAsync(msgId, http.RequestAborted);
            if (found is not { } f || f.Tenant != http.Tenant()) throw ApiError.NotFound($"message '{msgId}' not found");
            var s = f.Status;
            return Envelope.Ok(new
            {
                msgId = s.MsgId,
                wxId = s.WxId.Value,
                type = s.Kind.Path(),
                conversationId = s.ConversationId,
                status = s.State.ToString().ToLowerInvariant(),
                attempts = s.Attempts,
                enqueuedAt = s.EnqueuedAt.ToUnixTimeMilliseconds(),
                lastAttemptAt = s.LastAttemptAt?.ToUnixTimeMilliseconds(),
                settledAt = s.SettledAt?.ToUnixTimeMilliseconds(),
                errorCode = s.ErrorCode,
                errorMessage = s.ErrorMessage,
            });
        });
    }

    private static async Task<System.Text.Json.Nodes.JsonObject> ReadAsync(HttpRequest request)
    {
        var body = await Envelope.ReadLimitedAsync(request, Envelope.MaxJsonBody);
        if (body.Length == 0) throw ApiError.BadRequest("a JSON request body is required");
        return SendRequestParser.ParseObject(body);
    }
}

/// <summary>The one path every send takes (HTTP, MQTT): parse, own, persist.</summary>
public sealed class SendService(IGrainFactory grains, IFileSizeProbe sizes, OrleansWeCom.Gateway.Files.UploadHandOff uploads)
{
    public async Task<string> SendAsync(TenantId tenant, SendKind kind, System.Text.Json.Nodes.JsonObject body, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, long?>();
        // A file uploaded to us goes to the sending account's host first; the send then names the host's path.
        if (body["fileUrl"] is System.Text.Json.Nodes.JsonValue fileUrl && fileUrl.TryGetValue<string>(out var ours)
            && ours.StartsWith(OrleansWeCom.Gateway.Files.UploadStore.PathPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var account = Require.WxId(body["wxId"]?.ToString());
            var (hostPath, size) = await uploads.ResolveAsync(tenant, account, ours, cancellationToken);
            body["fileUrl"] = hostPath;
            known[hostPath] = size;
        }

        // Everything is checked before a referenced file is looked at: a bad request costs no outbound call.
        var parsed = SendRequestParser.Parse(kind, body, u => known.GetValueOrDefault(u));
        if (kind is SendKind.Gif or SendKind.Video && body["fileUrl"]?.ToString() is { } url && !known.ContainsKey(url))
        {
            known[url] = await sizes.TryGetSizeAsync(url, cancellationToken);
            parsed = SendRequestParser.Parse(kind, body, u => known.GetValueOrDefault(u));
        }

        // A wxId the tenant never logged in activates no account grain (which would read the outbox).
        if (!await grains.Reference<ITenantGrain>(tenant.Value).HasAccountAsync(parsed.WxId))
            throw ApiError.NotFound($"account {parsed.WxId} not found");
        // One grain call: the account checks that it is the tenant's and online, and persists the send.
        return await grains.Reference<IAccountGrain>(parsed.WxId.Value).EnqueueForAsync(tenant, parsed.Message, idempotencyKey);
    }
}

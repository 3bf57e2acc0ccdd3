using System.Text.Json;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Gateway.Webhooks;

public sealed record PutWebhookRequest(string? Url, string? Secret, bool RotateSecret = false);
public sealed record ReplayRequest(IReadOnlyList<string>? MsgIds);

/// <summary>The tenant's webhook (URL, secret, dead letters, replay) and the event log read back by cursor.</summary>
public static class WebhookEndpoints
{
    private const int MaxLimit = 1000;

    public static void MapWebhooks(this RouteGroupBuilder open)
    {
        open.MapEventStream();
        open.MapPut("/webhook", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<PutWebhookRequest>(http.Request);
            var url = Require.Text(body.Url, "url");
            var secret = string.IsNullOrWhiteSpace(body.Secret) ? null : body.Secret.Trim();
            var configured = await Webhook(http, grains).ConfigureAsync(url, secret, body.RotateSecret);
            return Envelope.Ok(new { url = configured.Url, secret = configured.Secret, secretGenerated = configured.SecretGenerated });
        });

        open.MapGet("/webhook", async (HttpContext http, IGrainFactory grains) =>
        {
            var view = await Webhook(http, grains).GetAsync();
            return Envelope.Ok(new { url = view.Url, hasSecret = view.HasSecret, updatedAt = view.UpdatedAt, pending = view.Pending, dead = view.Dead });
        });

        open.MapGet("/webhook/dead", async (HttpContext http, IGrainFactory grains) =>
        {
            var after = Long(http.Request.Query["after"], "after") ?? 0;
            var limit = Limit(http.Request.Query["limit"]);
            var dead = await grains.GetGrain<IEventLogReaderGrain>(0).ReadDeadAsync(http.Tenant(), after, limit);
            var items = dead.Select(d => new
            {
                msgId = d.Entry.Event.MsgId,
                position = d.Entry.TenantSeq,
                attempts = d.Attempts,
                lastError = d.LastError,
                deadAt = d.DeadAt,
                @event = Json(d.Entry),
            }).ToList();
            return Envelope.Ok(new { items, next = dead.Count > 0 ? dead[^1].Entry.TenantSeq : after });
        });

        open.MapPost("/webhook/replay", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
                ? await Envelope.ReadBodyAsync<ReplayRequest>(http.Request)
                : new ReplayRequest(null);
            if (body.MsgIds is { Count: > 10_000 }) throw ApiError.BadRequest("msgIds holds more than 10000 ids");
            var replayed = await Webhook(http, grains).ReplayAsync(body.MsgIds);
            return Envelope.Ok(new { replayed });
        });

        open.MapGet("/events", async (HttpContext http, IGrainFactory grains) =>
        {
            var query = http.Request.Query;
            var wxId = query["wxId"].ToString();
            var hostname = query["hostname"].ToString();
            string account;
            if (!string.IsNullOrEmpty(wxId)) account = Require.WxId(wxId).Value;
            else if (!string.IsNullOrEmpty(hostname)) account = EventAccounts.OfHost(Require.HostName(hostname));
            else throw ApiError.BadRequest("wxId is required (or hostname, for events before login)");
            var after = Long(query["after"], "after") ?? 0;
            var limit = Limit(query["limit"]);
            var events = await grains.GetGrain<IEventLogReaderGrain>(0).ReadAccountAsync(http.Tenant(), account, after, limit);
            return Envelope.Ok(new { events = events.Select(Json).ToList(), next = events.Count > 0 ? events[^1].Seq : after });
        });
    }

    private static IWebhookGrain Webhook(HttpContext http, IGrainFactory grains) => grains.GetGrain<IWebhookGrain>(http.Tenant().Value);

    /// <summary>The event exactly as the webhook receives it (the seed's envelope plus <c>seq</c>).</summary>
    private static JsonElement Json(LoggedEvent entry)
    {
        using var document = JsonDocument.Parse(EventEnvelope.Serialize(entry.Event, entry.Seq));
        return document.RootElement.Clone();
    }

    private static long? Long(string? text, string name)
    {
        if (string.IsNullOrEmpty(text)) return null;
        return long.TryParse(text, out var value) && value >= 0 ? value : throw ApiError.BadRequest($"{name} must be a non-negative integer");
    }

    private static int Limit(string? text)
    {
        var limit = Long(text, "limit") ?? 100;
        if (limit is < 1 or > MaxLimit) throw ApiError.BadRequest($"limit must be between 1 and {MaxLimit}");
        return (int)limit;
    }
}

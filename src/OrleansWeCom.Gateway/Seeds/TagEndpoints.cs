using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using OrleansWeCom.Gateway.Directory;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;
using static OrleansWeCom.Gateway.Seeds.RoomEndpoints;

namespace OrleansWeCom.Gateway.Seeds;

/// <summary>
/// Seed 003: every contact of an account, paged, with its tags (the seed-000 labels), and a text to every contact that
/// carries a tag: one batch through the account's outbox, idempotent on <c>Idempotency-Key</c>, whose progress is read back.
/// </summary>
public static class TagEndpoints
{
    /// <summary>Most contacts one batch sends to (<c>WeCom:Broadcast:MaxRecipients</c>); a larger tag answers 413.</summary>
    public const string MaxRecipientsKey = "WeCom:Broadcast:MaxRecipients";
    public const int DefaultMaxRecipients = 1000;
    private const int MaxLabelsScanned = 200;

    public static void MapSeedTags(this RouteGroupBuilder open)
    {
        open.MapPost("/get-all-user", async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "wxId", "wId");
            var (current, pageSize) = AddressListEndpoints.Page(input);
            var tags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var label in (await account.LabelsAsync()).Take(MaxLabelsScanned))
            {
                var (id, name) = (AccountDirectory.Str(label, "labelId"), AccountDirectory.Str(label, "name"));
                foreach (var c in await account.LabelContactsAsync(id))
                {
                    var user = AccountDirectory.Str(c, "user_id");
                    if (!tags.TryGetValue(user, out var list)) tags[user] = list = [];
                    list.Add(name);
                }
            }

            var all = (await account.ExternalContactsAsync()).Select(c => (c, friend: true)).Concat((await account.InnerContactsAsync()).Select(c => (c, friend: false))).ToList();
            var page = all.Skip((current - 1) * pageSize).Take(pageSize).Select(x =>
            {
                var id = AccountDirectory.Str(x.c, "user_id");
                return (JsonNode?)new JsonObject
                {
                    ["id"] = id, ["name"] = AccountDirectory.Str(x.c, "username"), ["alias"] = AccountDirectory.Str(x.c, "remark"),
                    ["avatar"] = AccountDirectory.Str(x.c, "avatar"), ["corporation"] = AccountDirectory.Str(x.c, "corp_id"),
                    ["coworker"] = !IsCustomer(id), ["friend"] = x.friend, ["gender"] = x.c?["sex"]?.DeepClone(),
                    ["realName"] = AccountDirectory.Str(x.c, "realname"), ["title"] = AccountDirectory.Str(x.c, "position"),
                    ["weixin"] = AccountDirectory.Str(x.c, "external_user_id"),
                    ["tags"] = new JsonArray((tags.GetValueOrDefault(id) ?? []).Select(t => (JsonNode?)t).ToArray()),
                };
            }).ToArray();
            return Envelope.Raw(new JsonObject { ["datas"] = new JsonArray(page), ["total"] = all.Count, ["hasNextPage"] = current * pageSize < all.Count }.ToJsonString());
        });

        open.MapPost("/send-message-all", async (HttpContext http, IGrainFactory grains, IConfiguration config) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "wxId", "wId");
            var tag = Optional(input, "tag") ?? Optional(input, "labelId") ?? throw ApiError.BadRequest("tag is required (a label id or name of label/all)");
            var message = Optional(input, "message") ?? throw ApiError.BadRequest("message is required");
            var key = http.Request.Headers[MessageEndpoints.IdempotencyHeader].ToString();
            if (key.Length > 128) throw ApiError.BadRequest($"{MessageEndpoints.IdempotencyHeader} is longer than 128 characters");
            var batchId = key.Length > 0 ? "k-" + key : Guid.CreateVersion7().ToString("N");
            var batch = grains.GetGrain<IBroadcastGrain>($"{account.Tenant.Value}/{batchId}");

            var label = (await account.LabelsAsync()).FirstOrDefault(l => AccountDirectory.Str(l, "labelId") == tag)
                        ?? (await account.LabelsAsync()).FirstOrDefault(l => AccountDirectory.Str(l, "name") == tag)
                        ?? throw ApiError.NotFound($"tag '{tag}' not found among the labels of account {account.WxId}");
            var contacts = await account.LabelContactsAsync(AccountDirectory.Str(label, "labelId"));
            var max = config.GetValue(MaxRecipientsKey, DefaultMaxRecipients);
            if (contacts.Count > max)
                throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"tag '{tag}' is carried by {contacts.Count} contacts; one batch sends to at most {max}");
            var messages = contacts.Select(c => SendRequestParser.Parse(SendKind.Text,
                new JsonObject { ["wxId"] = account.WxId.Value, ["conversationId"] = AccountDirectory.Str(c, "conversation_id"), ["content"] = message }).Message).ToList();
            if (messages.Count == 0) throw ApiError.BadRequest($"no contact carries tag '{tag}'");
            return Envelope.Ok(ProgressJson(await batch.StartAsync(account.Tenant, account.WxId, AccountDirectory.Str(label, "labelId"), messages)));
        });

        open.MapGet("/send-message-all/status", async (HttpContext http, IGrainFactory grains) =>
        {
            var batchId = Require.Text(http.Request.Query["batchId"], "batchId");
            if (batchId.Length > 160) throw ApiError.BadRequest("batchId is longer than 160 characters");
            return Envelope.Ok(ProgressJson(await grains.GetGrain<IBroadcastGrain>($"{http.Tenant().Value}/{batchId}").GetProgressAsync(http.Tenant())));
        });
    }

    private static object ProgressJson(BroadcastProgress p) => new
    {
        batchId = p.BatchId, wxId = p.WxId, tag = p.Tag, total = p.Total, queued = p.Queued, sending = p.Sending,
        sent = p.Sent, failed = p.Failed, unknown = p.Unknown, createdAt = p.CreatedAt,
    };
}

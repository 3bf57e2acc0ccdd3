using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Directory;
using OrleansWeCom.Gateway.Http;
using static OrleansWeCom.Gateway.Seeds.RoomEndpoints;

namespace OrleansWeCom.Gateway.Seeds;

/// <summary>
/// Seed 002: contacts by several ids in one request, and the account's address list (contacts and rooms) from its
/// directory. <c>wId</c> is the account (<c>wxId</c> is taken too).
/// </summary>
public static class AddressListEndpoints
{
    public const int MaxIdsPerLookup = 100;
    public const int MaxPageSize = 1000;

    public static void MapSeedAddressList(this RouteGroupBuilder open)
    {
        open.MapPost("/getContact", async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "wId", "wxId");
            var ids = Required(input, "wcId", 100 * 130).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            if (ids.Count == 0) throw ApiError.BadRequest("wcId must name at least one id");
            if (ids.Count > MaxIdsPerLookup) throw ApiError.BadRequest($"wcId names more than {MaxIdsPerLookup} ids");
            var contacts = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            foreach (var c in (await account.ExternalContactsAsync()).Concat(await account.InnerContactsAsync()))
                if (c is not null) contacts.TryAdd(AccountDirectory.Str(c, "user_id"), c);
            var rooms = ids.Any(i => i.StartsWith("R:", StringComparison.Ordinal))
                ? (await account.RoomsAsync()).Where(r => r is not null).ToDictionary(r => AccountDirectory.Str(r, "conversation_id"), r => r!, StringComparer.Ordinal)
                : [];
            // One item per id asked, in order; an id the account does not know answers found: false.
            var result = new JsonArray(ids.Select(id => (JsonNode?)(contacts.TryGetValue(id, out var c) ? ContactJson(id, c)
                : rooms.TryGetValue(id, out var r) ? RoomJson(id, r)
                : new JsonObject { ["userName"] = id, ["found"] = false })).ToArray());
            return Envelope.Raw(result.ToJsonString());
        });

        open.MapPost("/initAddressList", async (HttpContext http, IGrainFactory grains) =>
        {
            var account = AccountDirectory.For(http, grains, await RequestParams.ReadAsync(http.Request), "wId", "wxId");
            await account.RefreshAsync();
            await Task.WhenAll(account.ExternalContactsAsync(), account.InnerContactsAsync(), account.RoomsAsync());
            return Envelope.Ok();
        });

        open.MapPost("/getAddressList", async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "wId", "wxId");
            var (current, pageSize) = Page(input);
            var friends = (await account.ExternalContactsAsync()).Select(c => AccountDirectory.Str(c, "user_id")).ToList();
            var others = (await account.InnerContactsAsync()).Select(c => AccountDirectory.Str(c, "user_id")).ToList();
            var rooms = (await account.RoomsAsync()).Select(r => AccountDirectory.Str(r, "conversation_id")).ToList();
            JsonArray Slice(List<string> all) => new(all.Skip((current - 1) * pageSize).Take(pageSize).Select(i => (JsonNode?)i).ToArray());
            var largest = Math.Max(friends.Count, Math.Max(others.Count, rooms.Count));
            return Envelope.Raw(new JsonObject
            {
                ["chatrooms"] = Slice(rooms),
                ["friends"] = Slice(friends),
                ["ghs"] = new JsonArray(),
                ["others"] = Slice(others),
                ["page"] = new JsonObject
                {
                    ["current"] = current, ["pageSize"] = pageSize, ["chatrooms"] = rooms.Count, ["friends"] = friends.Count, ["others"] = others.Count,
                    ["hasNextPage"] = current * pageSize < largest,
                },
            }.ToJsonString());
        });
    }

    /// <summary>The page asked for: <c>current</c> from 1 and <c>pageSize</c> up to <see cref="MaxPageSize"/> (its default).</summary>
    internal static (int Current, int PageSize) Page(RequestParams input)
    {
        static int Number(RequestParams input, string name, int fallback, int max) =>
            Optional(input, name) is not { } text ? fallback
            : int.TryParse(text, out var n) && n >= 1 && n <= max ? n : throw ApiError.BadRequest($"{name} must be a whole number within 1..{max}");
        return (Number(input, "current", 1, 1_000_000), Number(input, "pageSize", MaxPageSize, MaxPageSize));
    }

    private static string Required(RequestParams input, string name, int max) =>
        Optional(input, name) is { } s && s.Length <= max ? s : throw ApiError.BadRequest($"{name} is required (ids separated by commas)");

    private static JsonObject ContactJson(string id, JsonNode c) => new()
    {
        ["userName"] = id, ["found"] = true,
        ["nickName"] = AccountDirectory.Str(c, "username"), ["remark"] = AccountDirectory.Str(c, "remark"), ["signature"] = "",
        ["sex"] = c["sex"]?.DeepClone(), ["aliasName"] = AccountDirectory.Str(c, "nickname"), ["country"] = "",
        ["bigHead"] = AccountDirectory.Str(c, "avatar"), ["smallHead"] = AccountDirectory.Str(c, "avatar"), ["labelList"] = "",
        ["v1"] = AccountDirectory.Str(c, "external_user_id"),
    };

    private static JsonObject RoomJson(string id, JsonNode r) => new()
    {
        ["userName"] = id, ["found"] = true, ["nickName"] = AccountDirectory.Str(r, "nickname"), ["memberCount"] = r["total"]?.DeepClone(),
    };
}

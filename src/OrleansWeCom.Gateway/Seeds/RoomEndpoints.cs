using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Directory;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Gateway.Seeds;

/// <summary>
/// Seed 001's rooms over the seed-000 host: create with a greeting, add a member, rooms of a member. Its errors carry
/// the seed's negative codes. Leaving a room and room tags have no host call and answer 501.
/// </summary>
public static class RoomEndpoints
{
    public const int MinCreateMembers = 2;
    public const int MaxCreateMembers = 40;
    public const int DirectAddLimit = 40;
    public const int RoomCapacity = 500;
    private const int MaxRoomsScanned = 200;

    public static void MapSeedRooms(this RouteGroupBuilder open)
    {
        open.MapPost("/room/create", async (HttpContext http, IGrainFactory grains, SendService sends) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "botUserId", "wxId");
            var members = await ResolveMembersAsync(account, List(input, "userIds"), List(input, "unionIds"), List(input, "wxids"));
            var created = await account.CallAsync(new HostCall("POST", "/group", [],
                new JsonObject { ["wxId"] = account.WxId.Value, ["memberWxIds"] = string.Join(',', members) }.ToJsonString(), Invalidates: [DirectoryKeys.Rooms]));
            var roomId = AccountDirectory.Str(created, "roomid");
            if (roomId.Length == 0) throw new ApiError(StatusCodes.Status502BadGateway, -9, "the host created no room");
            var conversationId = "R:" + roomId;
            if (Optional(input, "name") is { } name)
                await account.CallAsync(new HostCall("PUT", "/group/name", [],
                    new JsonObject { ["wxId"] = account.WxId.Value, ["conversationId"] = conversationId, ["name"] = name }.ToJsonString(),
                    Invalidates: [DirectoryKeys.Rooms, DirectoryKeys.Members + conversationId]));
            // The greeting takes the outbox like any send, so it is paced with the account's other messages.
            string? greetingMsgId = null;
            if (Optional(input, "greeting") is { } greeting)
                greetingMsgId = await sends.SendAsync(account.Tenant, SendKind.Text,
                    new JsonObject { ["wxId"] = account.WxId.Value, ["conversationId"] = conversationId, ["content"] = greeting }, null, http.RequestAborted);
            return Envelope.Ok(new { chatId = conversationId, roomWxid = conversationId, greetingMsgId });
        });

        open.MapPost("/room/addMember", async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var account = AccountDirectory.For(http, grains, input, "botUserId", "wxId");
            var contact = Required(input, "contactWxid");
            var room = Required(input, "roomWxid");
            var members = (await account.RoomMembersAsync(room)).Select(m => AccountDirectory.Str(m, "user_id")).ToHashSet(StringComparer.Ordinal);
            if (!members.Contains(account.WxId.Value)) throw new ApiError(StatusCodes.Status409Conflict, -11, $"account {account.WxId} is not in room {room}");
            if (members.Contains(contact)) throw new ApiError(StatusCodes.Status409Conflict, -9, $"{contact} is already in room {room}");
            if (members.Count >= RoomCapacity) throw new ApiError(StatusCodes.Status409Conflict, -10, $"room {room} holds {RoomCapacity} members, the most it may");
            if (!(await ContactIdsAsync(account)).Contains(contact)) throw new ApiError(StatusCodes.Status400BadRequest, -8, $"{contact} is not a contact of account {account.WxId}");
            await account.CallAsync(new HostCall("POST", "/group/member", [],
                new JsonObject { ["wxId"] = account.WxId.Value, ["conversationId"] = room, ["memberWxIds"] = contact }.ToJsonString(),
                Invalidates: [DirectoryKeys.Rooms, DirectoryKeys.Members + room]));
            // Past 40 members WeCom turns the same add into an invitation card the person must accept.
            var invited = members.Count >= DirectAddLimit;
            return Envelope.Ok(new { roomWxid = room, contactWxid = contact, invited, memberCount = members.Count });
        });

        open.MapPost("/room/exit", IResult () =>
            throw ApiError.NotSupported("room/exit: the seed-000 container host offers no call to leave a room; remove others with DELETE group/member, or leave on the phone"));

        open.MapGet("/room/listByMHTag", IResult () =>
            throw ApiError.NotSupported("room/listByMHTag: the seed-000 container host has no room tags (labels belong to contacts); use GET group/list"));

        open.MapGet("/room/listByMember", async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            var contact = Required(input, "contactWxid");
            var accounts = input.TryGet("wxId", out _) || input.TryGet("botUserId", out _)
                ? [AccountDirectory.For(http, grains, input, "wxId", "botUserId")]
                : (await grains.GetGrain<ITenantGrain>(http.Tenant().Value).GetAccountsAsync()).Select(a => new AccountDirectory(grains, http.Tenant(), a)).ToList();
            var result = new JsonArray();
            foreach (var account in accounts)
            {
                JsonArray rooms;
                try
                {
                    rooms = await account.RoomsAsync();
                }
                catch (WeComException) when (accounts.Count > 1)
                {
                    continue; // without a named account, the offline ones are passed over
                }

                foreach (var room in rooms.Take(MaxRoomsScanned))
                {
                    var id = AccountDirectory.Str(room, "conversation_id");
                    var members = await account.RoomMembersAsync(id);
                    if (members.Any(m => AccountDirectory.Str(m, "user_id") == contact)) result.Add(RoomJson(account, room!, members));
                }
            }

            return Envelope.Raw(result.ToJsonString());
        });
    }

    /// <summary>The host's ids of the people to put in a new room: coworkers by user id, contacts by wxid, anyone in a room of ours by union id.</summary>
    private static async Task<List<string>> ResolveMembersAsync(AccountDirectory account, List<string> userIds, List<string> unionIds, List<string> wxids)
    {
        var given = userIds.Count + unionIds.Count + wxids.Count;
        if (given > MaxCreateMembers) throw new ApiError(StatusCodes.Status400BadRequest, -10, $"a room is created with {MinCreateMembers} to {MaxCreateMembers} members; {given} given");
        var inner = (await account.InnerContactsAsync()).Select(c => AccountDirectory.Str(c, "user_id")).ToHashSet(StringComparer.Ordinal);
        var all = await ContactIdsAsync(account);
        var members = new List<string>();
        foreach (var id in userIds)
            members.Add(inner.Contains(id) ? id : throw new ApiError(StatusCodes.Status404NotFound, -6, $"coworker '{id}' not found among the contacts of {account.WxId}"));
        foreach (var id in wxids)
            members.Add(all.Contains(id) ? id : throw new ApiError(StatusCodes.Status404NotFound, -7, $"contact '{id}' not found among the contacts of {account.WxId}"));
        if (unionIds.Count > 0)
        {
            var byUnion = await UnionIdsAsync(account);
            foreach (var id in unionIds)
                members.Add(byUnion.TryGetValue(id, out var user) && all.Contains(user)
                    ? user : throw new ApiError(StatusCodes.Status404NotFound, -7, $"no contact of {account.WxId} with unionId '{id}' is known (union ids are learnt from the members of the account's rooms)"));
        }

        members = members.Where(m => m != account.WxId.Value).Distinct(StringComparer.Ordinal).ToList();
        if (members.Count is < MinCreateMembers or > MaxCreateMembers)
            throw new ApiError(StatusCodes.Status400BadRequest, -10, $"a room is created with {MinCreateMembers} to {MaxCreateMembers} members besides the account; {members.Count} given");
        return members;
    }

    private static async Task<HashSet<string>> ContactIdsAsync(AccountDirectory account) =>
        (await account.ExternalContactsAsync()).Concat(await account.InnerContactsAsync()).Select(c => AccountDirectory.Str(c, "user_id")).ToHashSet(StringComparer.Ordinal);

    /// <summary>The seed-000 host names no contact by union id except in room member lists: those of the account's rooms are read (kept by the directory).</summary>
    private static async Task<Dictionary<string, string>> UnionIdsAsync(AccountDirectory account)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var room in (await account.RoomsAsync()).Take(MaxRoomsScanned))
            foreach (var m in await account.RoomMembersAsync(AccountDirectory.Str(room, "conversation_id")))
                if (AccountDirectory.Str(m, "unionid") is { Length: > 0 } union) map.TryAdd(union, AccountDirectory.Str(m, "user_id"));
        return map;
    }

    private static JsonObject RoomJson(AccountDirectory account, JsonNode room, JsonArray members)
    {
        var id = AccountDirectory.Str(room, "conversation_id");
        return new JsonObject
        {
            ["chatId"] = id,
            ["botInfo"] = new JsonObject { ["wxid"] = account.WxId.Value, ["weixin"] = account.WxId.Value, ["nickName"] = "" },
            ["wxid"] = id,
            ["topic"] = AccountDirectory.Str(room, "nickname"),
            ["avatarUrl"] = "",
            ["ownerId"] = AccountDirectory.Str(room, "create_user_id"),
            ["members"] = new JsonArray(members.Select(m => (JsonNode?)new JsonObject
            {
                ["wxid"] = AccountDirectory.Str(m, "user_id"),
                ["nickName"] = AccountDirectory.Str(m, "username"),
                ["avatarUrl"] = AccountDirectory.Str(m, "avatar"),
                ["roomAlias"] = AccountDirectory.Str(m, "room_nickname") is { Length: > 0 } alias ? alias : null,
                ["contactType"] = IsCustomer(AccountDirectory.Str(m, "user_id")) ? 1 : 3,
                ["coworker"] = !IsCustomer(AccountDirectory.Str(m, "user_id")),
            }).ToArray()),
            ["labels"] = new JsonArray(),
            ["external"] = AccountDirectory.Str(room, "is_external") == "1",
            ["memberCount"] = members.Count,
        };
    }

    /// <summary>Seed 000 gives customers (WeChat users) ids starting 788, WeCom users 1688.</summary>
    internal static bool IsCustomer(string userId) => userId.StartsWith("788", StringComparison.Ordinal);

    internal static List<string> List(RequestParams input, string name)
    {
        if (!input.TryGet(name, out var raw) || raw is null) return [];
        if (raw is not JsonArray array || array.Count > 1000) throw ApiError.BadRequest($"{name} must be an array of at most 1000 strings");
        return array.Select(i => HostRoute.Text(i) is { Length: > 0 and <= 128 } s ? s : throw ApiError.BadRequest($"{name} must hold non-empty ids")).ToList();
    }

    internal static string? Optional(RequestParams input, string name) =>
        input.TryGet(name, out var raw) && HostRoute.Text(raw) is { Length: > 0 } s ? s : null;

    internal static string Required(RequestParams input, string name) =>
        Optional(input, name) is { Length: <= 128 } s ? s : throw ApiError.BadRequest($"{name} is required (at most 128 characters)");
}

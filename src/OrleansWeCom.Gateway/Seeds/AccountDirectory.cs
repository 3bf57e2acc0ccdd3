using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Directory;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Seeds;

/// <summary>
/// Reads of one account's directory under the same keys as the seed-000 routes, so the other seeds' features share the
/// kept lists (and their refresh and callback rules) with them. Every read checks that the account is the tenant's.
/// </summary>
public sealed class AccountDirectory(IGrainFactory grains, TenantId tenant, WxId wxId)
{
    private readonly IAccountDirectoryGrain _grain = grains.GetGrain<IAccountDirectoryGrain>(wxId.Value);

    public WxId WxId => wxId;
    public TenantId Tenant => tenant;

    public Task<JsonArray> ExternalContactsAsync() => ArrayAsync("/contact/external/list", DirectoryKeys.Contacts + "external");
    public Task<JsonArray> InnerContactsAsync() => ArrayAsync("/contact/inner/list", DirectoryKeys.Contacts + "inner");
    public Task<JsonArray> RoomsAsync() => ArrayAsync("/group/list", DirectoryKeys.Rooms);
    public Task<JsonArray> LabelsAsync() => ArrayAsync("/label/all", DirectoryKeys.Labels + "all");

    public Task<JsonArray> LabelContactsAsync(string labelId) =>
        ArrayAsync("/label/contacts", DirectoryKeys.Labels + "of/" + labelId, new HostParam("labelId", labelId));

    public async Task<JsonArray> RoomMembersAsync(string conversationId)
    {
        var data = await CallAsync(new HostCall("GET", "/group/member/list", [new("wxId", wxId.Value), new("conversationId", conversationId)], null,
            DirectoryKeys.Members + conversationId, DirectoryKeep.Refresh));
        return data?["member_list"] as JsonArray ?? [];
    }

    /// <summary>Makes the kept contacts, rooms and members stale: the next reads ask the host.</summary>
    public Task RefreshAsync() => _grain.CallAsync(tenant, new HostCall("GET", "/group/list", [new("wxId", wxId.Value)], null,
        Invalidates: [DirectoryKeys.Contacts, DirectoryKeys.Rooms, DirectoryKeys.Members, DirectoryKeys.Labels]));

    public async Task<JsonNode?> CallAsync(HostCall call) => await _grain.CallAsync(tenant, call) is { } text ? JsonNode.Parse(text) : null;

    private async Task<JsonArray> ArrayAsync(string path, string key, params HostParam[] extra) =>
        await CallAsync(new HostCall("GET", path, [new("wxId", wxId.Value), .. extra], null, key, DirectoryKeep.Refresh)) as JsonArray ?? [];

    /// <summary>The account named by the first of <paramref name="names"/> present in the request (the seeds name it differently).</summary>
    public static AccountDirectory For(HttpContext http, IGrainFactory grains, RequestParams input, params string[] names)
    {
        foreach (var name in names)
            if (input.TryGet(name, out var value) && value is not null)
                return new AccountDirectory(grains, http.Tenant(), Require.WxId(Directory.HostRoute.Text(value), name));
        throw ApiError.BadRequest($"{names[0]} is required");
    }

    public static string Str(JsonNode? node, string name) => node?[name] is JsonValue v ? Directory.HostRoute.Text(v) : "";
}

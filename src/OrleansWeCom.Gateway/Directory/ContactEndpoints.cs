using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Http;
using static OrleansWeCom.Gateway.Directory.DirectoryEndpoints;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>Seed 000's contacts: lists and profiles kept by the account's directory, edits that make them stale, searches.</summary>
public static class ContactEndpoints
{
    private const int MaxQueried = 100;

    public static void MapContacts(this RouteGroupBuilder open)
    {
        string[] contactChanges = [DirectoryKeys.Contacts, "extend/{contactId}", DirectoryKeys.Labels];
        open.MapHostRoutes(
            new HostRoute("GET", "/contact/external/list", P("wxId")) { Cache = DirectoryKeys.Contacts + "external" },
            new HostRoute("GET", "/contact/inner/list", P("wxId")) { Cache = DirectoryKeys.Contacts + "inner" },
            new HostRoute("GET", "/contact/extendinfo", P("wxId"), P("ContactId")) { Cache = "extend/{ContactId}" },
            new HostRoute("PUT", "/contact/remark", P("wxId"), P("contactId"), P("remark", ParamKind.Optional)) { Invalidates = contactChanges },
            new HostRoute("PUT", "/contact/desc", P("wxId"), P("contactId"), P("desc", ParamKind.Optional)) { Invalidates = contactChanges },
            new HostRoute("PUT", "/contact/phone", P("wxId"), P("contactId"), P("phones", ParamKind.List)) { Invalidates = contactChanges },
            new HostRoute("POST", "/contact/remove", P("wxId"), P("ContactUserId"))
            {
                Invalidates = [DirectoryKeys.Contacts, "extend/{ContactUserId}", DirectoryKeys.Labels, DirectoryKeys.Relations],
            },
            new HostRoute("GET", "/contact/search", P("wxId"), P("keyword", max: 64)) { Keep = DirectoryKeep.None },
            new HostRoute("POST", "/contact/search/add", P("wxId"), P("contactUserId"), P("openid", ParamKind.Optional), P("wxticket", ParamKind.Optional),
                P("verify", ParamKind.Optional)) { Keep = DirectoryKeep.None });

        // Each item names its account: every one must be the caller's, and each account asks its own host.
        open.MapPost("/contact/external/query", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await RequestParams.ReadBodyAsync(http.Request) ?? throw ApiError.BadRequest("a JSON request body is required");
            var infos = body.FirstOrDefault(p => string.Equals(p.Key, "ContactInfos", StringComparison.OrdinalIgnoreCase)).Value as JsonArray;
            if (infos is null || infos.Count == 0) throw ApiError.BadRequest("ContactInfos is required: an array of {WxId, ContactUserId}");
            if (infos.Count > MaxQueried) throw ApiError.BadRequest($"ContactInfos holds more than {MaxQueried} items");
            var items = infos.Select((item, i) =>
            {
                var o = item as JsonObject ?? throw ApiError.BadRequest($"ContactInfos[{i}] must be an object");
                string Field(string name) => HostRoute.Text(o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value) is { Length: > 0 and <= 64 } v
                    ? v : throw ApiError.BadRequest($"ContactInfos[{i}].{name} is required");
                return (WxId: Require.WxId(Field("WxId"), $"ContactInfos[{i}].WxId"), ContactUserId: Field("ContactUserId"));
            }).ToList();

            var result = new JsonArray();
            foreach (var account in items.GroupBy(i => i.WxId))
            {
                var query = new JsonObject
                {
                    ["ContactInfos"] = new JsonArray(account.Select(i => (JsonNode?)new JsonObject { ["WxId"] = i.WxId.Value, ["ContactUserId"] = i.ContactUserId }).ToArray()),
                };
                var data = await grains.GetGrain<IAccountDirectoryGrain>(account.Key.Value)
                    .CallAsync(http.Tenant(), new HostCall("POST", "/contact/external/query", [], query.ToJsonString()));
                if (data is not null && JsonNode.Parse(data) is JsonArray found)
                    foreach (var contact in found) result.Add(contact?.DeepClone());
            }

            return Envelope.Raw(result.ToJsonString());
        });
    }
}

using OrleansWeCom.Gateway.Http;
using static OrleansWeCom.Gateway.Directory.DirectoryEndpoints;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>
/// Seed 000's id conversions. A mapping never changes, so an answer is kept for good (the <c>…FromDb</c> variant reads the
/// same entry); the conversions that ask WeCom count against the account's quota.
/// </summary>
public static class IdEndpoints
{
    public static void MapIdConversions(this RouteGroupBuilder open)
    {
        HostRoute Id(string path, string param, string key, bool counted) =>
            new("POST", path, P("WxId", max: 64), P(param, max: 128))
            {
                Account = "WxId", Cache = DirectoryKeys.Ids + key + "/{" + param + "}", Keep = DirectoryKeep.Forever, IdConversion = counted,
            };

        open.MapHostRoutes(
            Id("/contact/externalUserId", "ContactUserId", "wm", counted: true),
            Id("/contact/externalUserIdFromDb", "ContactUserId", "wm", counted: false),
            Id("/contact/contactUserId", "ExternalUserId", "788", counted: true),
            Id("/contact/contactUserIdFromDb", "ExternalUserId", "788", counted: false),
            Id("/group/externalRoomId", "RoomId", "wr", counted: true),
            Id("/group/RoomId", "ExternalRoomId", "room", counted: true),
            new HostRoute("GET", "/contact/relation", P("wxId"), P("ContactUserId", ParamKind.Optional, 128), P("ExternalUserId", ParamKind.Optional, 128))
            {
                Cache = DirectoryKeys.Relations + "{ContactUserId}|{ExternalUserId}", IdConversion = true,
                Check = bound =>
                {
                    if (!bound.ContainsKey("ContactUserId") && !bound.ContainsKey("ExternalUserId"))
                        throw ApiError.BadRequest("ContactUserId or ExternalUserId is required");
                },
            },
            new HostRoute("POST", "/contact/relation/sync", P("wxId"), P("ContactUserId", max: 128))
            {
                Keep = DirectoryKeep.None, IdConversion = true, Invalidates = [DirectoryKeys.Relations],
            });
    }
}

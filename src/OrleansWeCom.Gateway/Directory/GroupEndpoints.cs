using static OrleansWeCom.Gateway.Directory.DirectoryEndpoints;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>Seed 000's rooms: the list and members kept by the account's directory (room callbacks make them stale), and changes.</summary>
public static class GroupEndpoints
{
    public static void MapGroups(this RouteGroupBuilder open)
    {
        string[] roomChanges = [DirectoryKeys.Rooms, DirectoryKeys.Members + "{conversationId}"];
        open.MapHostRoutes(
            new HostRoute("POST", "/group", P("wxId"), P("memberWxIds", ParamKind.Csv)) { Invalidates = [DirectoryKeys.Rooms] },
            new HostRoute("GET", "/group/list", P("wxId")) { Cache = DirectoryKeys.Rooms },
            new HostRoute("PUT", "/group/name", P("wxId"), P("conversationId", max: 64), P("name", max: 256)) { Invalidates = roomChanges },
            new HostRoute("GET", "/group/member/list", P("wxId"), P("conversationId", max: 64)) { Cache = DirectoryKeys.Members + "{conversationId}" },
            new HostRoute("POST", "/group/member", P("wxId"), P("conversationId", max: 64), P("memberWxIds", ParamKind.Csv)) { Invalidates = roomChanges },
            new HostRoute("DELETE", "/group/member", P("wxId"), P("conversationId", max: 64), P("memberWxIds", ParamKind.Csv)) { Invalidates = roomChanges },
            new HostRoute("POST", "/group/member/contact", P("wxId"), P("conversationId", max: 64), P("memberWxId", max: 64), P("verify", ParamKind.Optional, 256))
            {
                Keep = DirectoryKeep.None,
            },
            new HostRoute("POST", "/group/notice", P("WxId"), P("ConversationId", max: 64), P("Content"))
            {
                Account = "WxId", Invalidates = [DirectoryKeys.Members + "{ConversationId}"],
            });
    }
}

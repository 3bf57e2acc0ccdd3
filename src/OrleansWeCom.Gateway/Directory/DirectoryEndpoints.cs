using OrleansWeCom.Gateway.Files;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Seeds;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>Maps seed routes served by the account's directory grain, which checks the account is the caller's and online.</summary>
public static class DirectoryEndpoints
{
    public static void MapHostRoutes(this RouteGroupBuilder open, params HostRoute[] routes)
    {
        foreach (var route in routes)
            open.MapMethods(route.Path, [route.Method], async (HttpContext http, IGrainFactory grains) =>
            {
                var bound = route.Bind(await RequestParams.ReadAsync(http.Request));
                var wxId = Require.WxId(HostRoute.Text(bound.GetValueOrDefault(route.Account)), route.Account);
                if (!await grains.GetGrain<ITenantGrain>(http.Tenant().Value).HasAccountAsync(wxId))
                    throw ApiError.NotFound($"account {wxId} not found");
                var data = await grains.GetGrain<IAccountDirectoryGrain>(wxId.Value).CallAsync(http.Tenant(), route.ToCall(bound));
                return Envelope.Raw(data);
            });
    }

    /// <summary>Maps every seed-000 route of contacts, rooms, labels, id conversion, files and the rest.</summary>
    public static void MapDirectory(this RouteGroupBuilder open)
    {
        open.MapContacts();
        open.MapGroups();
        open.MapLabels();
        open.MapIdConversions();
        open.MapHostLists();
        open.MapFiles();
        // Seeds 001–003 over the same directory.
        open.MapSeedRooms();
        open.MapSeedAddressList();
        open.MapSeedTags();
    }

    internal static RouteParam P(string name, ParamKind kind = ParamKind.Text, int max = 4096) => new(name, kind, max);
}

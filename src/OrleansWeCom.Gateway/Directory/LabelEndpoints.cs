using OrleansWeCom.Gateway.Http;
using static OrleansWeCom.Gateway.Directory.DirectoryEndpoints;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>Seed 000's labels: kept by the account's directory, made stale when a contact's labels are set.</summary>
public static class LabelEndpoints
{
    private const int MaxSearchedAccounts = 50;

    public static void MapLabels(this RouteGroupBuilder open)
    {
        open.MapHostRoutes(
            new HostRoute("GET", "/label/all", P("wxId")) { Cache = DirectoryKeys.Labels + "all" },
            new HostRoute("POST", "/label/contact/setlabel", P("labelIds", ParamKind.List), P("contactUserId", max: 128), P("wxId"))
            {
                Invalidates = [DirectoryKeys.Labels + "contact/{contactUserId}", DirectoryKeys.Labels + "of/", DirectoryKeys.Labels + "search/"],
            },
            new HostRoute("GET", "/label/contact/labels", P("wxId"), P("contactUserId", max: 128)) { Cache = DirectoryKeys.Labels + "contact/{contactUserId}" },
            new HostRoute("GET", "/label/contacts", P("labelId", max: 128), P("wxId")) { Cache = DirectoryKeys.Labels + "of/{labelId}" });

        // The search spans accounts: each must be the caller's and online, and all on one host, which answers for them together.
        var search = new HostRoute("POST", "/label/contact/search", P("wxids", ParamKind.NonEmptyList), P("labelIds", ParamKind.List),
            P("PageIndex", ParamKind.Number, 100_000), P("PageSize", ParamKind.Number, 1000)) { Keep = DirectoryKeep.None };
        open.MapPost(search.Path, async (HttpContext http, IGrainFactory grains) =>
        {
            var input = await RequestParams.ReadAsync(http.Request);
            if (!input.TryGet("labelIds", out _)) throw ApiError.BadRequest("labelIds is required (an array of label ids)");
            var bound = search.Bind(input);
            var accounts = ((System.Text.Json.Nodes.JsonArray)bound["wxids"]!).Select(n => Require.WxId(HostRoute.Text(n), "wxids")).Distinct().ToList();
            if (accounts.Count > MaxSearchedAccounts) throw ApiError.BadRequest($"wxids names more than {MaxSearchedAccounts} accounts");
            var directories = accounts.Select(a => grains.GetGrain<IAccountDirectoryGrain>(a.Value)).ToList();
            var hosts = new HashSet<string>();
            foreach (var directory in directories) hosts.Add(await directory.GetOnlineHostAsync(http.Tenant()));
            if (hosts.Count > 1) throw ApiError.BadRequest("wxids run on different container hosts; search the accounts of each host separately");
            return Envelope.Raw(await directories[0].CallAsync(http.Tenant(), search.ToCall(bound)));
        });
    }
}

using OrleansWeCom.Gateway.Http;
using static OrleansWeCom.Gateway.Directory.DirectoryEndpoints;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>Seed 000's mass-send confirmation and the host's saved mini programs and video accounts.</summary>
public static class HostListEndpoints
{
    public static void MapHostLists(this RouteGroupBuilder open)
    {
        open.MapHostRoutes(new HostRoute("POST", "/batchmsg/confirm", P("wxId")) { Keep = DirectoryKeep.None });
        MapSaved(open, "/miniprogram/list", "saved/miniprograms");
        MapSaved(open, "/videonum/list", "saved/videonums");
    }

    /// <summary>
    /// The seed lists what the host saved without naming an account; we ask through an online account of the caller
    /// (the one in <c>wxId</c> when given), so that the host's lists reach only its tenants.
    /// </summary>
    private static void MapSaved(RouteGroupBuilder open, string path, string cacheKey) =>
        open.MapGet(path, async (HttpContext http, IGrainFactory grains) =>
        {
            var tenant = http.Tenant();
            var call = new HostCall("GET", path, [], null, cacheKey, DirectoryKeep.Refresh);
            if (http.Request.Query["wxId"].ToString() is { Length: > 0 } given)
            {
                var wxId = Require.WxId(given);
                if (!await grains.GetGrain<ITenantGrain>(tenant.Value).HasAccountAsync(wxId)) throw ApiError.NotFound($"account {wxId} not found");
                return Envelope.Raw(await grains.GetGrain<IAccountDirectoryGrain>(wxId.Value).CallAsync(tenant, call));
            }

            foreach (var account in await grains.GetGrain<ITenantGrain>(tenant.Value).GetAccountsAsync())
            {
                var directory = grains.GetGrain<IAccountDirectoryGrain>(account.Value);
                try
                {
                    await directory.GetOnlineHostAsync(tenant);
                }
                catch (WeComException)
                {
                    continue;
                }

                return Envelope.Raw(await directory.CallAsync(tenant, call));
            }

            throw new ApiError(StatusCodes.Status409Conflict, ErrorCodes.InvalidState, $"{path} needs an online account of yours to ask its host; none is online");
        });
}

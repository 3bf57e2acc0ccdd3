using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Sending;

/// <summary><c>GET account/stats</c>: each of the tenant's accounts with its status and send counters, for the console.</summary>
public static class AccountStatsEndpoints
{
    private const int MaxLimit = 200;

    public static void MapAccountStats(this RouteGroupBuilder open)
    {
        open.MapGet("/account/stats", async (HttpContext http, IGrainFactory grains, IOutboxQueries outbox, TimeProvider time) =>
        {
            var query = http.Request.Query;
            var tenant = http.Tenant();
            var hours = Number(query["hours"].ToString(), "hours", 24, 1, 24 * 7);
            var offset = Number(query["offset"].ToString(), "offset", 0, 0, int.MaxValue);
            var limit = Number(query["limit"].ToString(), "limit", 100, 1, MaxLimit);
            var owner = grains.GetGrain<ITenantGrain>(tenant.Value);
            IReadOnlyList<WxId> accounts;
            var wxId = query["wxId"].ToString();
            if (!string.IsNullOrEmpty(wxId))
            {
                var one = Require.WxId(wxId);
                if (!await owner.HasAccountAsync(one)) throw ApiError.NotFound($"account {one} not found");
                accounts = [one];
            }
            else
            {
                accounts = await owner.GetAccountsAsync();
            }

            var since = time.GetUtcNow() - TimeSpan.FromHours(hours);
            var page = accounts.Skip(offset).Take(limit).ToList();
            var items = new List<object>(page.Count);
            foreach (var account in page)
            {
                var binding = await grains.GetGrain<IAccountGrain>(account.Value).GetBindingAsync();
                // An account that has since logged in for another tenant shows no status here; its counts stay this tenant's own.
                var ours = binding is not null && binding.Tenant == tenant;
                var counts = await outbox.CountAsync(tenant, account, since, http.RequestAborted);
                items.Add(new
                {
                    wxId = account.Value,
                    hostname = ours ? binding!.HostName.Value : null,
                    status = ours ? (int?)binding!.Status : null,
                    queued = counts.Queued,
                    sending = counts.Sending,
                    sent = counts.Sent,
                    failed = counts.Failed,
                    unknown = counts.Unknown,
                });
            }

            return Envelope.Ok(new { since = since.ToUnixTimeMilliseconds(), total = accounts.Count, items });
        });
    }

    private static int Number(string text, string name, int fallback, int min, int max)
    {
        if (string.IsNullOrEmpty(text)) return fallback;
        if (!int.TryParse(text, out var value) || value < min || value > max)
            throw ApiError.BadRequest($"{name} must be an integer between {min} and {max}");
        return value;
    }
}

using Orleans.Runtime;
using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Gateway.Http;

public sealed record RedriveRequest(IReadOnlyList<long>? Ids);

/// <summary>The operator's view of the fleet: tenants with their counts, container hosts with their circuits, failed callbacks.</summary>
public static class AdminOperationsEndpoints
{
    private const int MaxLimit = 200;

    public static void MapOperations(this RouteGroupBuilder admin)
    {
        admin.MapGet("/tenants", async (HttpRequest request, IGrainFactory grains) =>
        {
            var after = request.Query["after"].ToString();
            var limit = Limit(request.Query["limit"].ToString());
            var directory = grains.GetGrain<ITenantDirectoryGrain>(0);
            var ids = await directory.ListAsync(string.IsNullOrEmpty(after) ? null : after, limit);
            var summaries = await Task.WhenAll(ids.Select(id => grains.GetGrain<ITenantGrain>(id.Value).GetSummaryAsync()));
            var items = summaries.OfType<TenantSummary>().Select(s => new
            {
                id = s.Info.Id.Value,
                name = s.Info.Name,
                createdAt = s.Info.CreatedAt.ToUnixTimeMilliseconds(),
                users = s.Users,
                apiKeys = s.ApiKeys,
                containers = s.Containers,
                accounts = s.Accounts,
            }).ToList();
            return Envelope.Ok(new { items, total = await directory.CountAsync(), next = ids.Count == limit ? ids[^1].Value : null });
        });

        // Each host with every silo's view of its circuit (as last reported to the board) and the worst of them.
        admin.MapGet("/hosts", async (IServiceProvider services, IGrainFactory grains) =>
        {
            var local = services.GetService<IContainerHostHealth>()?.Describe() ?? [];
            // The board unreachable (its silo leaving), this silo's own view still answers.
            IReadOnlyList<SiloHostHealth> reports;
            try
            {
                reports = await grains.GetGrain<IHostHealthBoardGrain>(0).GetAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
            {
                reports = [];
            }

            var described = local.Concat(reports.SelectMany(r => r.Hosts)).DistinctBy(h => h.Name, StringComparer.OrdinalIgnoreCase);
            return Envelope.Ok(new
            {
                items = described.Select(h =>
                {
                    var views = reports.SelectMany(r => r.Hosts.Where(v => string.Equals(v.Name, h.Name, StringComparison.OrdinalIgnoreCase))
                        .Select(v => new { silo = r.Silo, circuit = v.Circuit, reportedAt = r.ReportedAt.ToUnixTimeMilliseconds() })).ToList();
                    var circuit = views.Count > 0 ? HostCircuits.Worst(views.Select(v => v.circuit)) : h.Circuit;
                    return new { name = h.Name, baseUrl = h.BaseUrl, capacity = h.Capacity, circuit, silos = views };
                }),
            });
        });

        admin.MapGet("/callbacks/failed", async (HttpRequest request, CallbackInboxStore inbox) =>
        {
            var after = Long(request.Query["after"].ToString(), "after") ?? 0;
            var limit = Limit(request.Query["limit"].ToString());
            var rows = await inbox.ListFailedAsync(after, limit, request.HttpContext.RequestAborted);
            var items = rows.Select(r => new
            {
                id = r.Id,
                msgId = r.MsgId,
                host = r.HostKey,
                source = r.Source,
                type = r.Type,
                receivedAt = r.ReceivedAt,
                failedAt = r.ProcessedAt,
                body = r.Body.Length <= 2000 ? r.Body : r.Body[..2000],
            }).ToList();
            return Envelope.Ok(new { items, next = rows.Count > 0 ? rows[^1].Id : after });
        });

        admin.MapPost("/callbacks/redrive", async (HttpRequest request, CallbackInboxStore inbox) =>
        {
            var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
            var body = hasBody ? await Envelope.ReadBodyAsync<RedriveRequest>(request) : new RedriveRequest(null);
            if (body.Ids is { Count: > CallbackInboxStore.MaxRedrive })
                throw ApiError.BadRequest($"ids holds more than {CallbackInboxStore.MaxRedrive} ids");
            if (body.Ids is { Count: 0 }) throw ApiError.BadRequest("ids must name at least one callback, or be left out to re-drive every failed one");
            var moved = await inbox.RedriveAsync(body.Ids, request.HttpContext.RequestAborted);
            if (body.Ids is { Count: 1 } && moved.Count == 0)
                throw ApiError.NotFound($"no failed callback with id {body.Ids[0]}");
            return Envelope.Ok(new { redriven = moved.Count, ids = moved });
        });
    }

    private static long? Long(string text, string name)
    {
        if (string.IsNullOrEmpty(text)) return null;
        return long.TryParse(text, out var value) && value >= 0 ? value : throw ApiError.BadRequest($"{name} must be a non-negative integer");
    }

    private static int Limit(string text)
    {
        var limit = Long(text, "limit") ?? 100;
        if (limit is < 1 or > MaxLimit) throw ApiError.BadRequest($"limit must be between 1 and {MaxLimit}");
        return (int)limit;
    }
}

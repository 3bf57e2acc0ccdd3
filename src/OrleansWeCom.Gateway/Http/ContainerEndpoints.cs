using System.Text.Json.Serialization;

namespace OrleansWeCom.Gateway.Http;

public sealed record CreateContainerRequest(string? UserId);
public sealed record VerifyRequest(string? Hostname, string? Key, string? Code);
public sealed record HostnamesRequest([property: JsonConverter(typeof(StringOrArrayConverter))] IReadOnlyList<string>? Hostname);

/// <summary>The seed's <c>container/create</c> answer.</summary>
public sealed record CreateContainerResponse(
    [property: JsonPropertyName("qrcode")] string Qrcode,
    [property: JsonPropertyName("hostname")] string Hostname,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("createtime")] string Createtime,
    [property: JsonPropertyName("wxPid")] int? WxPid);

/// <summary>An item of the seed's <c>inner/user/wx/list</c>, plus our login detail (additive fields).</summary>
public sealed record WxListItem(
    [property: JsonPropertyName("hostname")] string Hostname,
    [property: JsonPropertyName("wxId")] string? WxId,
    [property: JsonPropertyName("userId")] string UserId,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("nickname")] string? Nickname,
    [property: JsonPropertyName("avatar")] string? Avatar,
    [property: JsonPropertyName("corp_id")] string? CorpId,
    [property: JsonPropertyName("corp_name")] string? CorpName,
    [property: JsonPropertyName("mobile")] string? Mobile,
    [property: JsonPropertyName("position")] string? Position,
    [property: JsonPropertyName("corp_short_name")] string? CorpShortName,
    [property: JsonPropertyName("job_name")] string? JobName,
    [property: JsonPropertyName("account")] string? Account,
    [property: JsonPropertyName("acctid")] string? Acctid,
    [property: JsonPropertyName("Status")] int Status,
    [property: JsonPropertyName("QrCode")] string? QrCode,
    [property: JsonPropertyName("LoginStep")] string LoginStep,
    [property: JsonPropertyName("Deadline")] long? Deadline,
    [property: JsonPropertyName("UpdatedAt")] long UpdatedAt);

public sealed record MemoryItem(string? WxId, string? UserName, string HostName, int? WxPid, long Memory);

/// <summary>The container life cycle on the tenant openAPI, with the seed's paths and shapes.</summary>
public static class ContainerEndpoints
{
    public static void MapContainers(this RouteGroupBuilder open)
    {
        open.MapPost("/container/create", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<CreateContainerRequest>(http.Request);
            var userId = Require.Text(body.UserId, "userId");
            var created = await grains.GetGrain<IContainerProvisioningGrain>(0).CreateAsync(http.Tenant(), userId);
            return Envelope.Ok(new CreateContainerResponse(created.QrCode, created.HostName.Value, created.Version, created.CreateTime, created.WxPid));
        });

        open.MapPost("/container/verify", async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<VerifyRequest>(http.Request);
            var hostName = Require.HostName(body.Hostname);
            var code = Require.Text(body.Code, "code").Trim();
            var container = await OwnedContainer(http, grains, hostName);
            var result = await container.VerifyAsync(body.Key, code);
            return Envelope.Ok(new { errcode = result.ErrCode, errmsg = result.ErrMsg });
        });

        MapBulk(open, "/container/stop", c => c.StopAsync());
        MapBulk(open, "/container/start", c => c.StartAsync());
        MapBulk(open, "/container/remove", c => c.RemoveAsync());
        MapBulk(open, "/container/restart", c => c.RestartAsync());

        open.MapGet("/inner/user/wx/list", async (HttpContext http, IGrainFactory grains) =>
        {
            var query = http.Request.Query;
            var userId = query["userId"].ToString();
            var onlineOnly = ParseBool(query["IsOnline"].ToString(), "IsOnline") ?? true;
            var hostFilter = query["HostName"].Concat(query["HostName[]"]).SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
            var views = await TenantContainers(http, grains);
            var items = views
                .Where(v => !onlineOnly || v.Status == ContainerStatus.Online)
                .Where(v => string.IsNullOrEmpty(userId) || v.UserId == userId)
                .Where(v => hostFilter.Count == 0 || hostFilter.Contains(v.HostName.Value))
                .Select(ToListItem);
            return Envelope.Ok(items);
        });

        open.MapGet("/container/memory", async (HttpContext http, IGrainFactory grains, IContainerHosts hosts) =>
        {
            var mine = (await TenantContainers(http, grains)).Where(v => v.Status == ContainerStatus.Online).ToList();
            var result = new List<MemoryItem>();
            foreach (var group in mine.GroupBy(v => v.HostKey))
            {
                var memory = await HostCall(() => hosts.GetMemoryAsync(group.Key, http.RequestAborted));
                var byHost = memory.ToDictionary(m => m.HostName);
                foreach (var v in group)
                    if (byHost.TryGetValue(v.HostName.Value, out var m))
                        result.Add(new MemoryItem(v.Profile?.WxId.Value ?? m.WxId, v.Profile?.Username ?? m.UserName, v.HostName.Value, m.WxPid ?? v.WxPid, m.Memory));
            }

            return Envelope.Ok(result);
        });

        open.MapGet("/container/{hostname}/history", async (string hostname, HttpContext http, IGrainFactory grains) =>
        {
            var container = await OwnedContainer(http, grains, Require.HostName(hostname));
            var history = await container.GetHistoryAsync();
            return Envelope.Ok(history.Select(t => new { at = t.At.ToUnixTimeMilliseconds(), from = t.From, to = t.To, reason = t.Reason, deadline = t.Deadline?.ToUnixTimeMilliseconds() }));
        });

        open.MapGet("/container/{hostname}/qrcode", async (string hostname, HttpContext http, IGrainFactory grains) =>
        {
            var qr = await grains.GetGrain<IContainerProvisioningGrain>(0).GetQrCodeAsync(http.Tenant(), Require.HostName(hostname));
            return Results.File(qr.Content, qr.ContentType);
        });
    }

    public static string QrPath(HostName hostName) => ContainerPaths.QrCode(hostName);

    private static void MapBulk(RouteGroupBuilder open, string path, Func<IContainerGrain, Task> command) =>
        open.MapPost(path, async (HttpContext http, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<HostnamesRequest>(http.Request);
            var names = Require.HostNames(body.Hostname);
            var containers = new List<(HostName Name, IContainerGrain Grain)>();
            foreach (var name in names) containers.Add((name, await OwnedContainer(http, grains, name)));

            var failures = new List<(HostName Name, WeComException Error)>();
            foreach (var (name, grain) in containers)
            {
                try
                {
                    await command(grain);
                }
                catch (WeComException e)
                {
                    failures.Add((name, e));
                }
            }

            if (failures.Count == 0) return Envelope.Ok();
            var first = failures[0].Error;
            var message = string.Join("; ", failures.Select(f => $"{f.Name}: {f.Error.Message}"));
            if (failures.Count < containers.Count) message += $" (the other {containers.Count - failures.Count} succeeded)";
            return Envelope.Error(ApiError.StatusFor(first.Code), first.Code, message);
        });

    /// <summary>The container grain if the caller's tenant owns it; 404 otherwise, so other tenants' names stay hidden.</summary>
    public static async Task<IContainerGrain> OwnedContainer(HttpContext http, IGrainFactory grains, HostName hostName)
    {
        var grain = grains.GetGrain<IContainerGrain>(hostName.Value);
        var view = await grain.GetAsync();
        if (view is null || view.Tenant != http.Tenant()) throw ApiError.NotFound($"container '{hostName}' not found");
        return grain;
    }

    private static async Task<List<ContainerView>> TenantContainers(HttpContext http, IGrainFactory grains)
    {
        var tenant = http.Tenant();
        var names = await grains.GetGrain<ITenantGrain>(tenant.Value).GetContainersAsync();
        var views = await Task.WhenAll(names.Select(n => grains.GetGrain<IContainerGrain>(n.Value).GetAsync()));
        // A name the host gave to another tenant's container since is listed by the tenant's grain but is not the tenant's.
        return views.OfType<ContainerView>().Where(v => v.Tenant == tenant).ToList();
    }

    private static WxListItem ToListItem(ContainerView v) => new(
        v.HostName.Value, v.Profile?.WxId.Value, v.UserId, v.Profile?.Username, v.Profile?.Nickname, v.Profile?.Avatar,
        v.Profile?.CorpId.Value, v.Profile?.CorpName, v.Profile?.Mobile, v.Profile?.Position, v.Profile?.CorpShortName,
        v.Profile?.JobName, v.Profile?.Account, v.Profile?.Acctid, (int)v.Status,
        v.Status == ContainerStatus.LoginFailedRescan || v.Step is LoginStep.WaitingForScan or LoginStep.SafeValidatePending ? QrPath(v.HostName) : null,
        v.Step.ToString(), v.Deadline?.ToUnixTimeMilliseconds(), v.UpdatedAt.ToUnixTimeMilliseconds());

    private static bool? ParseBool(string text, string name) =>
        string.IsNullOrEmpty(text) ? null
        : bool.TryParse(text, out var b) ? b
        : text == "1" ? true : text == "0" ? false
        : throw ApiError.BadRequest($"{name} must be true or false, got '{text}'");

    private static async Task<T> HostCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not ApiError and not WeComException and not OperationCanceledException)
        {
            throw new ApiError(StatusCodes.Status502BadGateway, ErrorCodes.HostUnavailable, $"container host call failed: {e.Message}");
        }
    }
}

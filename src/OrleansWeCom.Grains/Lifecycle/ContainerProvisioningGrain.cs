using Orleans.Concurrency;

namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>Creates containers on a host for a tenant and reads their QR codes; keeps no state of its own.</summary>
[StatelessWorker]
public sealed class ContainerProvisioningGrain(IContainerHosts hosts, TimeProvider time) : Grain, IContainerProvisioningGrain
{
    /// <summary>A QR code is a small picture; a host answering more is refused rather than buffered.</summary>
    public const int MaxQrCodeBytes = 2 * 1024 * 1024;

    public async Task<CreatedContainer> CreateAsync(TenantId tenant, string userId)
    {
        if (string.IsNullOrWhiteSpace(userId)) throw WeComException.BadRequest("userId is required");
        var users = await GrainFactory.GetGrain<ITenantGrain>(tenant.Value).GetUsersAsync();
        if (users.All(u => u.UserId != userId)) throw WeComException.NotFound($"userId '{userId}' is not a user of this tenant");

        // One placement grain picks for the whole cluster: this worker's own silo would count only its own picks.
        var hostKey = await HostCall(() => GrainFactory.GetGrain<IContainerPlacementGrain>(IContainerPlacementGrain.Key).PickHostAsync());
        var created = await HostCall(() => hosts.CreateAsync(hostKey, userId, CancellationToken.None));
        if (!HostName.TryParse(created.HostName, out var hostName))
            throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' returned an invalid hostname");
        var createTime = created.CreateTime ?? time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss");
        await GrainFactory.GetGrain<IContainerGrain>(hostName.Value)
            .InitializeAsync(tenant, userId, hostKey, created.QrCode, created.Version, created.WxPid, createTime);
        await GrainFactory.GetGrain<ITenantGrain>(tenant.Value).AddContainerAsync(hostName);
        return new CreatedContainer(hostName, ContainerPaths.QrCode(hostName), created.Version, createTime, created.WxPid);
    }

    public async Task<QrCodeImage> GetQrCodeAsync(TenantId tenant, HostName hostName)
    {
        var container = GrainFactory.GetGrain<IContainerGrain>(hostName.Value);
        var view = await container.GetAsync();
        if (view is null || view.Tenant != tenant) throw WeComException.NotFound($"container '{hostName}' not found");
        var qr = await container.GetQrCodePathAsync() ?? throw WeComException.NotFound($"container '{hostName}' has no QR code to scan");
        var (content, contentType) = await HostCall(() => hosts.DownloadAsync(qr.HostKey, qr.Path, CancellationToken.None));
        await using (content)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(chunk)) > 0)
            {
                if (buffer.Length + read > MaxQrCodeBytes)
                    throw new WeComException(ErrorCodes.HostError, $"the QR code of '{hostName}' is larger than {MaxQrCodeBytes} bytes");
                buffer.Write(chunk, 0, read);
            }

            return new QrCodeImage(buffer.ToArray(), contentType);
        }
    }

    private static async Task<T> HostCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not WeComException and not OperationCanceledException)
        {
            throw new WeComException(ErrorCodes.HostUnavailable, $"container host call failed: {e.Message}");
        }
    }
}

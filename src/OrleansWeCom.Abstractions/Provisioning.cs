namespace OrleansWeCom;

/// <summary>A container's QR code image as its host serves it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.QrCodeImage")]
public sealed record QrCodeImage([property: Id(0)] byte[] Content, [property: Id(1)] string ContentType);

/// <summary>
/// Container orchestration that needs a container host: creating a container for a tenant's user and reading its QR
/// code. One place for HTTP and the cluster client's facade; a stateless worker on the silos that reach the hosts.
/// </summary>
[Alias("OrleansWeCom.IContainerProvisioningGrain")]
public interface IContainerProvisioningGrain : IGrainWithIntegerKey
{
    /// <summary>Picks a host, creates the container there and binds it to the tenant; not found for another tenant's user.</summary>
    [Alias("Create")] Task<CreatedContainer> CreateAsync(TenantId tenant, string userId);

    /// <summary>The QR code to scan; not found when the container is another tenant's or shows none.</summary>
    [Alias("QrCode")] Task<QrCodeImage> GetQrCodeAsync(TenantId tenant, HostName hostName);
}

public static class ContainerPaths
{
    /// <summary>Where the tenant API serves a container's QR code.</summary>
    public static string QrCode(HostName hostName) => $"/gnapi/open/container/{hostName}/qrcode";
}

/// <summary>
/// The one place that chooses the host of a new container, for the whole cluster: every pick goes through a single
/// activation (key <see cref="Key"/>), so the pending picks it counts on top of the hosts' listings are all silos' picks.
/// </summary>
[Alias("OrleansWeCom.IContainerPlacementGrain")]
public interface IContainerPlacementGrain : IGrainWithStringKey
{
    public const string Key = "cluster";

    /// <summary>The host with the most room; the host-unavailable error when none has room or answers.</summary>
    [Alias("PickHost")] Task<string> PickHostAsync();
}

namespace OrleansWeCom;

/// <summary>A container as its host lists it in <c>inner/user/wx/list</c>.</summary>
public sealed record HostContainerStatus(int Status, string? QrCode, string? WxId);

public sealed record HostCreatedContainer(string HostName, string QrCode, string? Version, string? CreateTime, int? WxPid);

/// <summary>
/// The grains' view of the container hosts: which host takes a new container, and the lifecycle calls to one.
/// The host adapts it to the Refit client with its resilience pipelines.
/// </summary>
public interface IContainerHosts
{
    Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken);

    Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken);

    Task<VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken);

    Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken);

    Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken);

    Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken);

    Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken);

    /// <summary>The container's status on its host; null when the host does not know it.</summary>
    Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken);

    /// <summary>Memory of the host's online containers (<c>container/memory</c>).</summary>
    Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken);

    /// <summary>A file the host serves under <c>/gnapi/files/…</c> (QR codes), streamed back to the tenant through us.</summary>
    Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken);
}

/// <summary>A configured container host and its circuit breaker's state (closed, open, halfopen or isolated) in this process.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.ContainerHostHealth")]
public sealed record ContainerHostHealth([property: Id(0)] string Name, [property: Id(1)] string BaseUrl, [property: Id(2)] int Capacity, [property: Id(3)] string Circuit);

public static class HostCircuits
{
    /// <summary>Isolated, then open, then half-open, then closed: the state that most limits calls wins.</summary>
    public static string Worst(IEnumerable<string> circuits) =>
        circuits.OrderByDescending(c => c switch { "isolated" => 3, "open" => 2, "halfopen" => 1, _ => 0 }).FirstOrDefault() ?? "unknown";
}

/// <summary>What one silo last reported of the hosts' circuits, and when.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.SiloHostHealth")]
public sealed record SiloHostHealth([property: Id(0)] string Silo, [property: Id(1)] DateTimeOffset ReportedAt, [property: Id(2)] IReadOnlyList<ContainerHostHealth> Hosts);

/// <summary>
/// The cluster's view of the container hosts: every silo that calls hosts reports its circuit breakers here (key 0)
/// every few seconds, so the operator sees each silo's view, not only the one that answers.
/// </summary>
public interface IHostHealthBoardGrain : IGrainWithIntegerKey
{
    Task ReportAsync(SiloHostHealth report);

    /// <summary>The latest report of each silo that reported recently, by silo.</summary>
    Task<IReadOnlyList<SiloHostHealth>> GetAsync();
}

/// <summary>The operator's view of the configured container hosts, as the calls of this process found them.</summary>
public interface IContainerHostHealth
{
    IReadOnlyList<ContainerHostHealth> Describe();
}

public sealed record HostContainerMemory(string? WxId, string? UserName, string HostName, int? WxPid, long Memory);

/// <summary>Sends go through the same host contract: the seed's send path and body, answered with the host's msgId.</summary>
public interface IContainerHostSender
{
    /// <summary>
    /// Sends one message and returns the host's msgId. Throws <see cref="SendOutcomeUnknownException"/> when the request
    /// may have reached the host without an answer coming back; any other failure means it was not carried out.
    /// </summary>
    Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken);
}

/// <summary>
/// A send whose request may have reached the host, with no answer to tell whether it was carried out: it timed out, the
/// connection broke after the request left, or the host answered a server error or something that is not its envelope.
/// Sending it again could deliver it twice.
/// </summary>
public sealed class SendOutcomeUnknownException(string message, Exception? innerException = null) : Exception(message, innerException);

using OrleansWeCom.ContainerHost.Api;

namespace OrleansWeCom.ContainerHost.Registry;

/// <summary>A configured container host as callers see it.</summary>
public sealed record ContainerHostDescriptor(string Name, Uri OpenApiBase, int Capacity);

/// <summary>The configured container hosts: their clients and where a new container should go.</summary>
public interface IContainerHostRegistry
{
    /// <summary>The configured hosts, in configuration order.</summary>
    IReadOnlyList<ContainerHostDescriptor> Hosts { get; }

    /// <summary>The client of a host; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    IContainerHostApi Get(string hostName);

    /// <summary>Whether calls to the host are currently let through (its circuit is not open).</summary>
    bool IsAvailable(string hostName);

    /// <summary>
    /// The available host with the most free capacity (capacity minus containers held); ties go to the first configured.
    /// Counts one container more on the chosen host right away so that concurrent picks spread.
    /// Throws <see cref="ContainerHostException"/> of kind <see cref="ContainerHostErrorKind.NoHostAvailable"/>
    /// when every host is full, broken or unreachable.
    /// </summary>
    Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken = default);

    /// <summary>Tells the registry how many containers a host holds (e.g. after a create, remove or a full listing).</summary>
    void ReportContainerCount(string hostName, int containerCount);
}

using OrleansWeCom.ContainerHost.Registry;

namespace OrleansWeCom.ContainerHost.Resilience;

/// <summary>Each configured host with the state of its one circuit breaker (shared by every call to it from this process).</summary>
internal sealed class ContainerHostHealthView(IContainerHostRegistry registry, HostPipelineProvider pipelines) : IContainerHostHealth
{
    public IReadOnlyList<ContainerHostHealth> Describe() =>
        [.. registry.Hosts.Select(h => new ContainerHostHealth(h.Name, h.OpenApiBase.ToString(), h.Capacity,
            pipelines.Get(h.Name).Circuit.CircuitState.ToString().ToLowerInvariant()))];
}

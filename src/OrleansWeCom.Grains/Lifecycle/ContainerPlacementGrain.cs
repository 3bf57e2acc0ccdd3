using Orleans.Concurrency;

namespace OrleansWeCom.Grains.Lifecycle;

/// <summary>
/// Picks hosts for new containers one at a time for the whole cluster, through the container-host registry of the silo
/// it lives on: that registry's listings (the hosts' own counts) plus its pending picks then cover every silo's creates.
/// Kept active while its silo runs, so the pending picks stay in one registry; a move to another silo (its silo left)
/// starts from that silo's listings, missing at most the picks of the last pending window. Reentrant: a pick may wait on
/// a slow host's listing, and the registry chooses and counts under its own lock, so other picks need not queue behind it.
/// </summary>
[KeepAlive]
[Reentrant]
public sealed class ContainerPlacementGrain(IContainerHosts hosts) : Grain, IContainerPlacementGrain
{
    public Task<string> PickHostAsync() => hosts.PickHostForNewContainerAsync(CancellationToken.None);
}

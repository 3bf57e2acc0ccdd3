using OrleansWeCom.Tests.ContainerHost;

namespace OrleansWeCom.Tests.Quotas;

/// <summary>Finding 9: a host's capacity holds for the cluster, not per silo, while new containers are still unlisted.</summary>
public sealed class ClusterPlacementTests
{
    [Fact]
    public async Task Two_silos_creating_containers_at_once_never_exceed_a_hosts_capacity()
    {
        // The host lists none of the new containers (none has been scanned yet): only the pending picks count them.
        await using var host = await StubContainerHost.StartAsync();
        host.On("inner/user/wx/list", StubResponse.Ok("[]"));
        host.On("container/create", attempt => StubResponse.Ok($$"""{"hostname":"placed-{{attempt}}","qrcode":"/gnapi/files/qr-{{attempt}}.png","version":"1"}"""));
        await using var silos = await TwoSilos.StartAsync(new Dictionary<string, string?>
        {
            ["ContainerHosts:Hosts:0:Name"] = "only",
            ["ContainerHosts:Hosts:0:BaseUrl"] = host.BaseUrl,
            ["ContainerHosts:Hosts:0:ApiKey"] = "key",
            ["ContainerHosts:Hosts:0:Capacity"] = "3",
        });
        await silos.Grains(0).GetGrain<ITenantGrain>("placing").CreateAsync("placing");
        await silos.Grains(0).GetGrain<ITenantGrain>("placing").AddUserAsync("apps-1", null, false);

        // Four creates on each silo at once; the provisioning grain is a stateless worker, so each runs on its caller's silo.
        var creates = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await silos.Grains(i % 2).GetGrain<IContainerProvisioningGrain>(0).CreateAsync(new TenantId("placing"), "apps-1");
                return true;
            }
            catch (WeComException e) when (e.Code == ErrorCodes.HostUnavailable)
            {
                return false;
            }
        }).ToList();
        var created = (await Task.WhenAll(creates)).Count(ok => ok);

        Assert.Equal(3, created);
        Assert.Equal(3, host.Count("container/create"));
        Assert.Equal(3, (await silos.Grains(1).GetGrain<ITenantGrain>("placing").GetContainersAsync()).Count);
    }
}

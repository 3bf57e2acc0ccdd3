using System.Net.Http.Json;
using OrleansWeCom.Tests.TenantApi;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>
/// Finding 5: a host may post a container's first callbacks before it answers <c>container/create</c>, so they reach the
/// router before the container grain knows its tenant. They are held until it does, then applied in order.
/// </summary>
public sealed class CreateRaceTests
{
    [Fact]
    public async Task A_login_posted_before_the_create_answer_is_applied_once_the_container_is_known()
    {
        await using var host = await DirectoryTestHost.StartAsync();
        var tenant = await host.TenantAsync("race-1");
        // The emulator scans every new container and logs it in before it answers the create.
        using (var fault = await host.Emulator.PutAsJsonAsync("/emulator/faults", new { scanOnCreateMs = 60_000 })) fault.EnsureSuccessStatusCode();

        var user = "apps-" + tenant.DefaultRequestHeaders.GetValues("apikey").Single()[..8];
        var created = await DirectoryTestHost.DataAsync(await tenant.PostAsJsonAsync("/gnapi/open/container/create", new { userId = user }));
        var hostname = created.GetProperty("hostname").GetString()!;

        var deadline = DateTime.UtcNow.AddSeconds(30);
        ContainerView? view;
        do
        {
            view = await host.Grains.GetGrain<IContainerGrain>(hostname).GetAsync();
            if (view?.Status == ContainerStatus.Online) break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(ContainerStatus.Online, view?.Status);
        var wxId = view!.Profile!.WxId;
        var binding = await host.Grains.GetGrain<IAccountGrain>(wxId.Value).GetBindingAsync();
        Assert.Equal(ContainerStatus.Online, binding?.Status);
        Assert.Equal("race-1", binding!.Tenant.Value);
        Assert.Equal(hostname, binding.HostName.Value);
    }
}

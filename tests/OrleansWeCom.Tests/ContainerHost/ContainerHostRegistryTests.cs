using System.Net;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.ContainerHost;
using static OrleansWeCom.Tests.ContainerHost.ContainerHostTestServices;

namespace OrleansWeCom.Tests.ContainerHost;

public sealed class ContainerHostRegistryTests
{
    /// <summary>The <c>data</c> of <c>inner/user/wx/list</c> for <paramref name="containers"/> containers.</summary>
    private static StubResponse Accounts(int containers) => StubResponse.Ok(
        "[" + string.Join(",", Enumerable.Range(0, containers).Select(i => $$"""{"hostname":"h{{i}}","wxId":"16888{{i}}","Status":{{i % 3}}}""")) + "]");

    [Fact]
    public async Task Pick_chooses_the_host_with_most_free_capacity_and_skips_a_broken_one()
    {
        await using var full = await StubContainerHost.StartAsync();
        await using var roomy = await StubContainerHost.StartAsync();
        await using var broken = await StubContainerHost.StartAsync();
        full.On("inner/user/wx/list", Accounts(8));
        roomy.On("inner/user/wx/list", Accounts(3));
        broken.On("inner/user/wx/list", StubResponse.Http(HttpStatusCode.InternalServerError));
        await using var services = Build(hosts:
        [
            HostAt("full", full.BaseUrl),
            HostAt("roomy", roomy.BaseUrl),
            HostAt("broken", broken.BaseUrl, h => { h.Capacity = 100; h.RetryCount = 0; }),
        ]);
        var registry = services.Registry();

        Assert.Equal("roomy", await registry.PickHostForNewContainerAsync());

        // All hosts listed every container state.
        Assert.Contains("IsOnline=false", roomy.Last("inner/user/wx/list").Query, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, broken.Count("inner/user/wx/list"));
    }

    [Fact]
    public async Task Picks_count_their_own_containers_until_the_listing_is_refreshed()
    {
        await using var a = await StubContainerHost.StartAsync();
        await using var b = await StubContainerHost.StartAsync();
        a.On("inner/user/wx/list", Accounts(5));
        b.On("inner/user/wx/list", Accounts(7));
        await using var services = Build(hosts: [HostAt("a", a.BaseUrl), HostAt("b", b.BaseUrl)]);
        var registry = services.Registry();

        var picks = new List<string>();
        for (var i = 0; i < 4; i++)
            picks.Add(await registry.PickHostForNewContainerAsync());

        // a: 5 free, b: 3 free → a, a, then a tie at 3 goes to the first configured, then b.
        Assert.Equal(["a", "a", "a", "b"], picks);
        Assert.Equal(1, a.Count("inner/user/wx/list"));
        Assert.Equal(1, b.Count("inner/user/wx/list"));
    }

    [Fact]
    public async Task Reported_counts_replace_the_listing_and_a_full_cluster_is_an_error()
    {
        await using var a = await StubContainerHost.StartAsync();
        a.On("inner/user/wx/list", Accounts(0));
        await using var services = Build(hosts: HostAt("a", a.BaseUrl, h => h.Capacity = 2));
        var registry = services.Registry();

        registry.ReportContainerCount("a", 1);
        Assert.Equal("a", await registry.PickHostForNewContainerAsync());
        var error = await Assert.ThrowsAsync<ContainerHostException>(() => registry.PickHostForNewContainerAsync());

        Assert.Equal(ContainerHostErrorKind.NoHostAvailable, error.Kind);
        Assert.Equal(0, a.Count("inner/user/wx/list"));
    }

    [Fact]
    public async Task Pick_skips_a_host_whose_circuit_is_open_without_calling_it()
    {
        await using var sick = await StubContainerHost.StartAsync();
        await using var well = await StubContainerHost.StartAsync();
        sick.On("container/memory", StubResponse.Http(HttpStatusCode.BadGateway));
        well.On("inner/user/wx/list", Accounts(9));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = Build(time, hosts:
        [
            HostAt("sick", sick.BaseUrl, h => { h.Capacity = 100; h.RetryCount = 0; h.CircuitMinimumThroughput = 2; }),
            HostAt("well", well.BaseUrl, h => h.RetryCount = 0),
        ]);
        var registry = services.Registry();
        for (var i = 0; i < 2; i++)
            await Assert.ThrowsAsync<ContainerHostException>(() => registry.Get("sick").GetContainerMemoryAsync());

        Assert.Equal("well", await registry.PickHostForNewContainerAsync());
        Assert.Equal(0, sick.Count("inner/user/wx/list"));
    }

    [Fact]
    public async Task Unknown_host_names_are_rejected()
    {
        await using var services = Build(hosts: HostAt("a", "http://127.0.0.1:1"));

        Assert.Throws<ArgumentException>(() => services.Registry().Get("nope"));
        Assert.Equal(["a"], services.Registry().Hosts.Select(h => h.Name));
        Assert.Equal(new Uri("http://127.0.0.1:1/gnapi/open"), services.Registry().Hosts[0].OpenApiBase);
    }
}

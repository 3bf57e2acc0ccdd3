namespace OrleansWeCom.Tests.Callbacks;

/// <summary>The cached references stand for the same grains as Orleans' own and reach them.</summary>
public sealed class GrainReferencesTests
{
    [Fact]
    public async Task A_reference_by_key_is_the_grain_Orleans_names_and_answers_as_it()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t-refs", "refs-container-1");
        foreach (var key in new[] { "refs-container-1", "refs-container-2" })
        {
            var ours = host.Grains.Reference<IContainerGrain>(key);
            var theirs = host.Grains.GetGrain<IContainerGrain>(key);
            Assert.Equal(theirs.GetGrainId(), ours.GetGrainId());
            Assert.Equal((await theirs.GetAsync())?.Tenant, (await ours.GetAsync())?.Tenant);
        }

        Assert.Equal("t-refs", (await host.Grains.Reference<IContainerGrain>("refs-container-1").GetAsync())?.Tenant.Value);
    }
}

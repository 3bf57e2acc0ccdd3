using System.Net;
using System.Text.Json;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 1: a container host that hands out a hostname again (the emulator after a restart does).</summary>
public sealed class ContainerNameReuseTests
{
    private const string Reused = "c0b764946118";
    private const string AccountOfA = "1688854355260001";

    /// <summary>A host whose every create returns the same hostname.</summary>
    private sealed class ReusingHosts : IContainerHosts
    {
        private readonly NoContainerHosts _rest = new();
        public int Created;

        public Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken) => Task.FromResult(CallbackTestHost.HostKey);

        public Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken) =>
            Task.FromResult(new HostCreatedContainer(Reused, "/qr.png", "1.0", $"2026-12-04 10:00:0{Interlocked.Increment(ref Created)}", 7));

        public Task<VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken) => _rest.VerifyAsync(hostKey, hostName, key, code, cancellationToken);
        public Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken) => _rest.GetStatusAsync(hostKey, hostName, cancellationToken);
        public Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken) => _rest.GetMemoryAsync(hostKey, cancellationToken);
        public Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken) => _rest.DownloadAsync(hostKey, path, cancellationToken);
    }

    [Fact]
    public async Task Finding1_a_container_name_that_comes_back_is_not_handed_to_the_other_tenant()
    {
        var hosts = new ReusingHosts();
        await using var host = await CallbackTestHost.StartAsync(hosts: hosts);
        var a = await TenantAsync(host, "tenant-a");
        var b = await TenantAsync(host, "tenant-b");

        var createdByA = await PostAsync(a, "container/create", new { userId = UserOf("tenant-a") });
        Assert.Equal(HttpStatusCode.OK, createdByA.Status);
        await host.Grains.GetGrain<IContainerGrain>(Reused)
            .ApplyAsync(new LifecycleSignal.UserLogin(new AccountProfile(new WxId(AccountOfA), new CorpId(Corp))), DateTimeOffset.UtcNow);

        // The host restarted and hands the same name to tenant B's new container.
        var createdByB = await PostAsync(b, "container/create", new { userId = UserOf("tenant-b") });
        Assert.Equal(HttpStatusCode.OK, createdByB.Status);
        Assert.Equal(Reused, createdByB.Body.GetProperty("data").GetProperty("hostname").GetString());

        // B sees its new container waiting for a scan, and nothing of A's account, in the listing and the history.
        var listOfB = (await GetAsync(b, "inner/user/wx/list?IsOnline=false")).Body.GetProperty("data").EnumerateArray().ToList();
        var item = Assert.Single(listOfB);
        Assert.Equal(JsonValueKind.Null, item.GetProperty("wxId").ValueKind);
        Assert.Equal((int)ContainerStatus.LoggingIn, item.GetProperty("Status").GetInt32());
        var historyOfB = await GetAsync(b, $"container/{Reused}/history");
        Assert.Equal(HttpStatusCode.OK, historyOfB.Status);
        Assert.DoesNotContain(AccountOfA, historyOfB.Body.GetRawText());

        // A's container is over: A no longer lists the name, its account is logged out, and B cannot send from it.
        var listOfA = (await GetAsync(a, "inner/user/wx/list?IsOnline=false")).Body.GetProperty("data").EnumerateArray().ToList();
        Assert.Empty(listOfA);
        var binding = await host.Grains.GetGrain<IAccountGrain>(AccountOfA).GetBindingAsync();
        Assert.Equal((new TenantId("tenant-a"), ContainerStatus.LoggedOut), (binding!.Tenant, binding.Status));
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(b, "msg/text", Text(AccountOfA, "from b"))).Status);

        // The same create told twice changes nothing.
        var view = await host.Grains.GetGrain<IContainerGrain>(Reused).GetAsync();
        await host.Grains.GetGrain<IContainerGrain>(Reused).InitializeAsync(new TenantId("tenant-b"), UserOf("tenant-b"), CallbackTestHost.HostKey, "/qr.png", "1.0", 7, "2026-12-04 10:00:02");
        Assert.Equal(view, await host.Grains.GetGrain<IContainerGrain>(Reused).GetAsync());
    }

    [Fact]
    public async Task Finding1_a_name_a_live_container_of_another_host_has_is_refused()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await LoginAsync(host, "tenant-a", Reused, AccountOfA);
        var error = await Assert.ThrowsAsync<WeComException>(() => host.Grains.GetGrain<IContainerGrain>(Reused)
            .InitializeAsync(new TenantId("tenant-b"), "apps-1", CallbackTestHost.OtherHostKey, "/qr.png", "1.0", 7, "2026-12-04 11:00:00"));
        Assert.Equal(ErrorCodes.HostError, error.Code);
        Assert.Equal(new TenantId("tenant-a"), (await host.Grains.GetGrain<IContainerGrain>(Reused).GetAsync())!.Tenant);
    }
}

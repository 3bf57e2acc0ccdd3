using System.Net;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 6: which container binds an account, and what an account that changes tenant leaves behind.</summary>
public sealed class AccountRebindingTests
{
    private const string W = SeedCallbacks.Account;

    [Fact]
    public async Task Finding6_a_logged_out_container_cannot_take_the_account_from_a_live_one()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-old", W);
        // The same wxId logs in on a new container; the old one is then removed (logged out).
        await LoginAsync(host, "t1", "c-new", W);
        await host.Grains.GetGrain<IContainerGrain>("c-old").RemoveAsync();

        var binding = await host.Grains.GetGrain<IAccountGrain>(W).GetBindingAsync();
        Assert.Equal((new HostName("c-new"), ContainerStatus.Online), (binding!.HostName, binding.Status));
        var (status, body) = await PostAsync(tenant, "msg/text", Text(W, "still online"));
        Assert.True(status == HttpStatusCode.OK, $"{status} {body}");
    }

    [Fact]
    public async Task Finding6_an_account_that_moves_to_another_tenant_takes_neither_queued_sends_nor_history()
    {
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            // A long gap keeps tenant A's sends queued while the account moves.
            ["WeCom:Limits:AccountSendInterval"] = "00:00:10",
        });
        var a = await TenantAsync(host, "tenant-a");
        var b = await TenantAsync(host, "tenant-b");
        await LoginAsync(host, "tenant-a", "c-a", W);
        using (var r = await host.PostAsync(SeedCallbacks.Envelope(CallbackTypes.Text, SeedCallbacks.Message("3000001", null, ("content", "for tenant a")), "c-a")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var queued = new List<string>();
        for (var i = 0; i < 3; i++) queued.Add((await PostAsync(a, "msg/text", Text(W, $"a{i}"))).Body.GetProperty("data").GetProperty("msgId").GetString()!);
        await CallbackTestHost.EventuallyAsync(async () => (await GetAsync(a, $"conversation/messages?wxId={W}&conversationId={SeedCallbacks.SingleChat}")).Body.GetRawText(),
            text => text.Contains("for tenant a"));

        // The account logs in for tenant B in B's container.
        await LoginAsync(host, "tenant-b", "c-b", W);
        using (var r = await host.PostAsync(SeedCallbacks.Envelope(CallbackTypes.Text, SeedCallbacks.Message("3000002", null, ("content", "for tenant b")), "c-b")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // A's sends still queued are failed, not sent from B's login; A can read what became of them.
        foreach (var msgId in queued.Skip(1))
        {
            var status = (await GetAsync(a, $"msg/status?msgId={msgId}")).Body.GetProperty("data");
            Assert.Equal("failed", status.GetProperty("status").GetString());
        }

        Assert.Equal(0, await host.Grains.GetGrain<IAccountGrain>(W).GetQueueLengthAsync());
        var history = await CallbackTestHost.EventuallyAsync(
            async () => (await GetAsync(b, $"conversation/messages?wxId={W}&conversationId={SeedCallbacks.SingleChat}")).Body,
            body => body.GetRawText().Contains("for tenant b"));
        Assert.Contains("for tenant b", history.GetRawText());
        Assert.DoesNotContain("for tenant a", history.GetRawText());
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Client;
using OrleansWeCom.Tests.EndToEnd;
using OrleansWeCom.Tests.Infrastructure;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Tests.Client;

/// <summary>
/// The host as its own process (SQLite, the emulator as its container host) and an internal service's cluster client
/// set up with <c>AddWeComClient</c>, connected over loopback: logins, a bulk campaign, its repeat, live events.
/// </summary>
[Collection(HostProcessCollection.Sending)]
public sealed class ClusterClientEndToEndTests
{
    private const string OtherTenant = "other-tenant";
    private const string OtherUser = "apps-2";

    /// <summary>CI runs 50 accounts and 500 sends; <c>WECOM_CLIENT_E2E=1000,10000</c> runs the full scale.</summary>
    [Fact]
    public async Task A_bulk_campaign_through_the_facade_is_paced_sent_once_and_streamed_to_its_tenant_only()
    {
        var scale = (Environment.GetEnvironmentVariable("WECOM_CLIENT_E2E") ?? "50,500").Split(',');
        var (accounts, messages) = (int.Parse(scale[0]), int.Parse(scale[1]));
        var gatewayPort = OrleansWeCom.Testing.TestPorts.Next();
        await using var product = await Product.StartAsync(
            o => (o.World.Corps, o.World.AccountsPerCorp) = ((accounts + 2 + 9) / 10 + 1, 10),
            new Dictionary<string, string> { ["Orleans:GatewayPort"] = gatewayPort.ToString() });
        using var service = await StartServiceAsync(gatewayPort);
        var cluster = service.Services.GetRequiredService<IClusterClient>();
        // The operator's side: a second tenant with a user of its own.
        await cluster.GetGrain<ITenantGrain>(OtherTenant).CreateAsync(OtherTenant);
        await cluster.GetGrain<ITenantGrain>(OtherTenant).AddUserAsync(OtherUser, "other", isAdmin: true);

        var client = service.Services.GetRequiredService<IWeComClient>();
        var demo = client.ForTenant(new TenantId("demo"));
        var other = client.ForTenant(new TenantId(OtherTenant));
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var demoEvents = new ConcurrentQueue<LoggedEvent>();
        var otherEvents = new ConcurrentQueue<LoggedEvent>();
        var demoLive = Collect(demo.SubscribeAsync(0, stop.Token), demoEvents);
        var otherLive = Collect(other.SubscribeAsync(0, stop.Token), otherEvents);

        var clock = Stopwatch.StartNew();
        var mine = await LoginAsync(product, demo, "apps-1", accounts);
        var theirs = await LoginAsync(product, other, OtherUser, 2);
        var loggedIn = clock.Elapsed;
        Assert.Equal(accounts, (await demo.ListAccountsAsync(onlineOnly: true)).Count);
        // Another tenant's account is not found through this tenant's facade, whatever the call.
        await AssertNotFound(() => demo.GetAccountAsync(theirs[0].WxId));
        await AssertNotFound(() => demo.StopAsync(theirs[0].Host));
        await AssertNotFound(() => demo.ListConversationsAsync(theirs[0].WxId));
        await AssertNotFound(() => demo.GetQrCodeAsync(theirs[0].Host));
        await AssertNotFound(() => demo.SubscribeAccountAsync(theirs[0].WxId).GetAsyncEnumerator().MoveNextAsync().AsTask());

        var to = new Dictionary<WxId, string>();
        foreach (var (_, wxId) in mine) to[wxId] = await product.CustomerOfAsync(wxId.Value);
        var campaign = Enumerable.Range(0, messages)
            .Select(i => mine[i % accounts].WxId)
            .Select((wxId, i) => BulkSend.Text(wxId, Sends.Single(wxId.Value, to[wxId]), $"campaign {i}", $"campaign-{i}"))
            .Append(BulkSend.Text(theirs[0].WxId, Sends.Single(theirs[0].WxId.Value, "7881300000000001"), "not yours", "campaign-foreign"))
            .Append(BulkSend.Text(mine[0].WxId, "S:1_2", "bad conversation", "campaign-bad"))
            .ToList();

        var results = await demo.SendManyAsync(campaign);
        Assert.Equal(campaign.Count, results.Count);
        Assert.All(results.Take(messages), r => Assert.True(r.Accepted, $"item {r.Index}: {r.Code} {r.Message}"));
        Assert.Equal(messages, results.Take(messages).Select(r => r.MsgId).Distinct().Count());
        Assert.Equal(ErrorCodes.NotFound, results[messages].Code);
        Assert.Equal(ErrorCodes.BadRequest, results[messages + 1].Code);

        var perAccount = (messages + accounts - 1) / accounts;
        var sent = new List<(string Host, List<DateTimeOffset> At)>();
        foreach (var (host, _) in mine)
        {
            var expected = Enumerable.Range(0, messages).Count(i => i % accounts == mine.FindIndex(m => m.Host == host));
            var arrived = await product.WaitForSentAsync(host.Value, expected, TimeSpan.FromSeconds(30 + perAccount));
            sent.Add((host.Value, arrived.Select(s => s.ReceivedAt()).Order().ToList()));
        }

        Assert.Equal(messages, sent.Sum(s => s.At.Count));
        foreach (var (host, at) in sent)
        {
            var gaps = at.Zip(at.Skip(1), (a, b) => b - a).ToList();
            if (gaps.Count > 0) Assert.True(gaps.Min() >= TimeSpan.FromMilliseconds(500), $"{host}: smallest gap {gaps.Min().TotalMilliseconds} ms");
        }

        // The same call again: every item answers its first msgId and nothing more reaches the host.
        var again = await demo.SendManyAsync(campaign);
        Assert.Equal(results.Take(messages).Select(r => r.MsgId), again.Take(messages).Select(r => r.MsgId));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var total = 0;
        foreach (var (host, _) in mine) total += (await product.SentAsync(host.Value)).Count;
        Assert.Equal(messages, total);
        var status = await demo.GetSendStatusAsync(mine[0].WxId, results[0].MsgId!);
        Assert.Equal(SendState.Sent, status.State);

        // Live events: every send's echo reaches the tenant's subscription, and only the tenant's events do.
        var msgIds = results.Take(messages).Select(r => r.MsgId!).ToHashSet();
        await WaitUntil(() => msgIds.IsSubsetOf(demoEvents.Select(e => e.Event.SendMsgId).OfType<string>()), TimeSpan.FromSeconds(60),
            () => $"{msgIds.Except(demoEvents.Select(e => e.Event.SendMsgId).OfType<string>()).Count()} echoes missing of {messages}");
        var theirIds = theirs.Select(t => t.WxId.Value).ToHashSet();
        var myIds = mine.Select(m => m.WxId.Value).ToHashSet();
        Assert.All(demoEvents, e => Assert.Equal("demo", e.Event.Tenant.Value));
        Assert.DoesNotContain(demoEvents, e => e.Event.WxId is { } w && theirIds.Contains(w));
        Assert.Contains(otherEvents, e => e.Event.WxId is { } w && theirIds.Contains(w));
        Assert.All(otherEvents, e => Assert.Equal(OtherTenant, e.Event.Tenant.Value));
        Assert.DoesNotContain(otherEvents, e => e.Event.WxId is { } w && myIds.Contains(w));
        // The tenant's whole log in its order: 1, 2, 3, … with no gap and no repeat.
        var seqs = demoEvents.Select(e => e.TenantSeq).ToList();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        // Every event the account's log answers over HTTP reaches the live subscription (events still arrive: wait for it).
        var first = mine[0].WxId.Value;
        var logged = await product.Host.CallAsync(HttpMethod.Get, $"/gnapi/open/events?wxId={first}&limit=1000");
        var overHttp = logged.GetProperty("data").GetProperty("events").EnumerateArray().Select(e => e.GetProperty("msgId").GetString()).OfType<string>().ToHashSet();
        Assert.NotEmpty(overHttp);
        await WaitUntil(() => overHttp.IsSubsetOf(demoEvents.Select(e => e.Event.MsgId)), TimeSpan.FromSeconds(10),
            () => $"{overHttp.Except(demoEvents.Select(e => e.Event.MsgId)).Count()} of the {overHttp.Count} events of {first} never arrived live");

        // The account's own subscription answers the account's log.
        using (var accountOnly = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var ofAccount = new List<string>();
            await foreach (var e in demo.SubscribeAccountAsync(mine[0].WxId, 0, accountOnly.Token))
            {
                ofAccount.Add(e.Event.MsgId);
                if (ofAccount.Count == overHttp.Count) break;
            }

            Assert.Equal(overHttp, ofAccount.ToHashSet());
        }

        // Resumable: a subscription from the tenth event's sequence continues with the eleventh.
        var snapshot = demoEvents.ToList();
        using var resume = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var resumed = new List<LoggedEvent>();
        await foreach (var e in demo.SubscribeAsync(snapshot[9].TenantSeq, resume.Token))
        {
            resumed.Add(e);
            if (resumed.Count == 20) break;
        }

        Assert.Equal(snapshot.Skip(10).Take(20).Select(e => e.Event.MsgId), resumed.Select(e => e.Event.MsgId));
        await stop.CancelAsync();
        await Task.WhenAll(demoLive, otherLive);
        Console.WriteLine($"cluster client e2e: {accounts} accounts logged in {loggedIn.TotalSeconds:F1} s, {messages} sends, whole run {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<IHost> StartServiceAsync(int gatewayPort)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orleans:GatewayPort"] = gatewayPort.ToString() });
        builder.Services.AddWeComClient(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Creates containers through the facade, scans each at the emulator and waits until all are online.</summary>
    private static async Task<List<(HostName Host, WxId WxId)>> LoginAsync(Product product, IWeComTenantClient tenant, string userId, int count)
    {
        var created = new List<HostName>();
        for (var i = 0; i < count; i++) created.Add((await tenant.CreateContainerAsync(userId)).HostName);
        using var gate = new SemaphoreSlim(8);
        var logins = await Task.WhenAll(created.Select(async host =>
        {
            await gate.WaitAsync();
            try
            {
                await WaitUntilAsync(async () => (await tenant.GetContainerAsync(host)).Step == LoginStep.WaitingForScan, $"{host} shows its QR code");
                if (host == created[0]) Assert.NotEmpty((await tenant.GetQrCodeAsync(host)).Content);
                var scanned = await product.ScanAsync(host.Value, requireVerify: false);
                var wxId = new WxId(scanned.GetProperty("wxId").GetString()!);
                await WaitUntilAsync(async () => (await tenant.GetContainerAsync(host)).Status == ContainerStatus.Online, $"{host} online");
                return (host, wxId);
            }
            finally
            {
                gate.Release();
            }
        }));
        foreach (var (host, wxId) in logins) Assert.Equal(host, (await tenant.GetAccountAsync(wxId)).HostName);
        return logins.ToList();
    }

    private static async Task Collect(IAsyncEnumerable<LoggedEvent> events, ConcurrentQueue<LoggedEvent> into)
    {
        try
        {
            await foreach (var e in events) into.Enqueue(e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task AssertNotFound(Func<Task> call) =>
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<WeComException>(call)).Code);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"never: {what}");
            await Task.Delay(100);
        }
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(describe());
            await Task.Delay(200);
        }
    }
}

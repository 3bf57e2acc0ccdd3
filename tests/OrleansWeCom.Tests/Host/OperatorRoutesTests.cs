using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Callbacks;
using OrleansWeCom.Storage.Inbox;
using OrleansWeCom.Tests.Callbacks;
using OrleansWeCom.Tests.TenantApi;

namespace OrleansWeCom.Tests.Host;

/// <summary>The console's JSON routes: the operator's tenants, hosts and failed callbacks, and a tenant's send counters.</summary>
public class OperatorRoutesTests(OperatorRoutesTests.Running running) : IClassFixture<OperatorRoutesTests.Running>
{
    internal const string AdminKey = "operator-key-for-console-0123456789";

    /// <summary>One host for the class; its tests name tenants of their own.</summary>
    public sealed class Running : IAsyncLifetime
    {
        internal DirectoryTestHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    internal static Task<DirectoryTestHost> StartAsync() => DirectoryTestHost.StartAsync(new Dictionary<string, string?>
    {
        ["Gateway:AdminApiKey"] = AdminKey,
        ["Webhooks:AllowLoopback"] = "true",
        ["Webhooks:InitialBackoff"] = "00:00:00.100",
        ["Webhooks:MaxBackoff"] = "00:00:00.200",
        ["Webhooks:MaxRetryDuration"] = "00:00:01",
    });

    internal static HttpClient Operator(DirectoryTestHost host)
    {
        var client = new HttpClient { BaseAddress = host.Http.BaseAddress };
        client.DefaultRequestHeaders.Add("apikey", AdminKey);
        return client;
    }

    /// <summary>Stores a callback whose body the router cannot parse, as a host's bug would leave one: it ends up Failed.</summary>
    internal static async Task<long> StoreUnparsableAsync(DirectoryTestHost host, string msgId)
    {
        var queues = host.Services.GetRequiredService<IOptions<CallbackOptions>>().Value.StreamQueues;
        await host.Services.GetRequiredService<CallbackInbox>().StoreAsync(
            new IncomingCallback(msgId, null, "emulator", "broken-host", "text", "{\"msgId\": \"" + msgId + "\", truncated", "broken-host",
                CallbackStreams.QueueOf("broken-host", queues)), CancellationToken.None);
        var store = host.Services.GetRequiredService<CallbackInboxStore>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if ((await store.ListFailedAsync(0, 200)).FirstOrDefault(f => f.MsgId == msgId) is { } failed) return failed.Id;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"callback {msgId} was never marked failed");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Operator_lists_tenants_with_counts_hosts_with_circuits_and_re_drives_a_failed_callback()
    {
        var host = running.Host;
        var tenant = await host.TenantAsync("ops");
        await host.LoginAsync(tenant);
        using var admin = Operator(host);

        using (var anonymous = await host.Http.GetAsync("/admin/tenants"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var asTenant = await tenant.GetAsync("/admin/hosts"))
            Assert.Equal(HttpStatusCode.Unauthorized, asTenant.StatusCode);

        var tenants = await DirectoryTestHost.DataAsync(await admin.GetAsync("/admin/tenants"));
        var ops = tenants.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "ops");
        Assert.Equal(1, ops.GetProperty("containers").GetInt32());
        Assert.Equal(1, ops.GetProperty("accounts").GetInt32());
        Assert.Equal(1, ops.GetProperty("users").GetInt32());
        // Paged by id: after the last id there is nothing more.
        var after = await DirectoryTestHost.DataAsync(await admin.GetAsync("/admin/tenants?after=ops"));
        Assert.DoesNotContain(after.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetString() == "ops");
        await AssertErrorAsync(await admin.GetAsync("/admin/tenants?limit=0"), HttpStatusCode.BadRequest);

        // The silo reported its view of the host's circuit to the cluster's board when it started.
        var hosts = await CallbackTestHost.EventuallyAsync(async () => await DirectoryTestHost.DataAsync(await admin.GetAsync("/admin/hosts")),
            h => h.GetProperty("items")[0].GetProperty("silos").GetArrayLength() > 0);
        var emulator = Assert.Single(hosts.GetProperty("items").EnumerateArray());
        Assert.Equal("emulator", emulator.GetProperty("name").GetString());
        Assert.Equal("closed", emulator.GetProperty("circuit").GetString());
        var view = Assert.Single(emulator.GetProperty("silos").EnumerateArray());
        Assert.Equal("closed", view.GetProperty("circuit").GetString());
        Assert.False(string.IsNullOrEmpty(view.GetProperty("silo").GetString()));

        var id = await StoreUnparsableAsync(host, "broken-1");
        var failed = await DirectoryTestHost.DataAsync(await admin.GetAsync("/admin/callbacks/failed"));
        Assert.Contains(failed.GetProperty("items").EnumerateArray(), f => f.GetProperty("id").GetInt64() == id && f.GetProperty("type").GetString() == "text");

        // Re-driven, it travels the stream again (to fail again: its body is still broken) under a new id.
        var redriven = await DirectoryTestHost.DataAsync(await admin.PostAsJsonAsync("/admin/callbacks/redrive", new { ids = new[] { id } }));
        Assert.Equal(1, redriven.GetProperty("redriven").GetInt32());
        var store = host.Services.GetRequiredService<CallbackInboxStore>();
        var again = await CallbackTestHost.EventuallyAsync(() => store.ListFailedAsync(0, 200), rows => rows.Any(r => r.MsgId == "broken-1" && r.Id > id));
        Assert.DoesNotContain(again, r => r.Id == id);

        await AssertErrorAsync(await admin.PostAsJsonAsync("/admin/callbacks/redrive", new { ids = new[] { id } }), HttpStatusCode.NotFound);
        await AssertErrorAsync(await admin.PostAsJsonAsync("/admin/callbacks/redrive", new { ids = Array.Empty<long>() }), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await admin.PostAsync("/admin/callbacks/redrive", new StringContent("{\"ids\": \"x\"}", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Account_stats_count_the_tenants_sends_and_hide_another_tenants_account()
    {
        var host = running.Host;
        var tenant = await host.TenantAsync("counted");
        var other = await host.TenantAsync("stranger");
        var (hostname, wxId) = await host.LoginAsync(tenant);
        var customer = await TelemetryTests.CustomerOfAsync(host, wxId);
        await TelemetryTests.SendTextAsync(tenant, wxId, customer, "one");
        await TelemetryTests.SendTextAsync(tenant, wxId, customer, "two");

        var stats = await CallbackTestHost.EventuallyAsync(
            async () => await DirectoryTestHost.DataAsync(await tenant.GetAsync("/gnapi/open/account/stats")),
            s => s.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("sent").GetInt64() == 2));
        var item = Assert.Single(stats.GetProperty("items").EnumerateArray());
        Assert.Equal(wxId, item.GetProperty("wxId").GetString());
        Assert.Equal(hostname, item.GetProperty("hostname").GetString());
        Assert.Equal(0, item.GetProperty("status").GetInt32());
        Assert.Equal(0, item.GetProperty("queued").GetInt64());
        Assert.Equal(0, item.GetProperty("failed").GetInt64());

        // Another tenant neither sees the account in its list nor may name it.
        var theirs = await DirectoryTestHost.DataAsync(await other.GetAsync("/gnapi/open/account/stats"));
        Assert.Empty(theirs.GetProperty("items").EnumerateArray());
        await AssertErrorAsync(await other.GetAsync($"/gnapi/open/account/stats?wxId={wxId}"), HttpStatusCode.NotFound);
        await AssertErrorAsync(await tenant.GetAsync("/gnapi/open/account/stats?hours=0"), HttpStatusCode.BadRequest);
        await AssertErrorAsync(await tenant.GetAsync("/gnapi/open/account/stats?limit=201"), HttpStatusCode.BadRequest);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(status, response.StatusCode);
            var envelope = JsonDocument.Parse(text).RootElement;
            Assert.NotEqual(0, envelope.GetProperty("code").GetInt32());
            Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);
            Assert.False(string.IsNullOrEmpty(envelope.GetProperty("msg").GetString()));
        }
    }
}

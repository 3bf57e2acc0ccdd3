using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Grains.Webhooks;
using Xunit.Abstractions;

namespace OrleansWeCom.Tests.Webhooks;

public sealed class EventLogAndRecoveryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Events_are_read_back_by_cursor_with_a_monotonic_sequence_per_account()
    {
        await using var host = await WebhookTestHost.StartAsync();
        var tenant = await host.TenantClientAsync("t-cursor");
        var other = await host.TenantClientAsync("t-other");
        const string a = "1688854355260001", b = "1688854355260002";
        // Concurrent publishers: the sequence must still be gap-free and in the order the log stored them.
        await Task.WhenAll(Enumerable.Range(0, 25).Select(i => host.Publisher.PublishAsync(SampleEvents.Text("t-cursor", i % 5 == 0 ? b : a, "S:1_2", $"m{i}"))));
        await host.Publisher.PublishAsync(new TenantEvent("pre-login-1", new TenantId("t-cursor"), "qrcode_status_msg", "17eeb4b5a466", null, "", 1697793173604, """{"status":0}""", null, null));

        var seen = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = (await tenant.GetFromJsonAsync<JsonElement>($"/gnapi/open/events?wxId={a}&after={after}&limit=7")).GetProperty("data");
            var events = page.GetProperty("events").EnumerateArray().ToList();
            if (events.Count == 0) break;
            Assert.True(events.Count <= 7);
            seen.AddRange(events);
            after = page.GetProperty("next").GetInt64();
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), seen.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(seen, e => Assert.Equal(a, e.GetProperty("wxid").GetString()));
        Assert.Equal(20, seen.Select(e => e.GetProperty("msgId").GetString()).Distinct().Count());

        var ofB = (await tenant.GetFromJsonAsync<JsonElement>($"/gnapi/open/events?wxId={b}&after=3")).GetProperty("data").GetProperty("events");
        Assert.Equal([4L, 5L], ofB.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));

        var preLogin = (await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/events?hostname=17eeb4b5a466")).GetProperty("data").GetProperty("events");
        Assert.Equal("pre-login-1", preLogin.EnumerateArray().Single().GetProperty("msgId").GetString());

        // Tenants never see each other's events.
        var foreign = (await other.GetFromJsonAsync<JsonElement>($"/gnapi/open/events?wxId={a}")).GetProperty("data").GetProperty("events");
        Assert.Empty(foreign.EnumerateArray());

        using var bad = await tenant.GetAsync("/gnapi/open/events?wxId=abc");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Undeliverable_event_becomes_a_dead_letter_and_replay_resends_it_with_the_same_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:MaxRetryDuration"] = "00:00:01.500" });
        var tenant = await host.TenantClientAsync("t-dead");
        await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("dead"));
        receiver.Hook("dead").Status = 500;
        var first = SampleEvents.Text("t-dead", "1688854355260001", "S:1_2", "first");
        var second = SampleEvents.Text("t-dead", "1688854355260001", "S:1_2", "second");
        await host.Publisher.PublishAsync(first);
        await host.Publisher.PublishAsync(second);

        var dead = await WebhookTestHost.EventuallyAsync(
            () => tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/webhook/dead").Result.GetProperty("data").GetProperty("items"),
            items => items.GetArrayLength() == 2, Patience);
        Assert.Equal([first.MsgId, second.MsgId], dead.EnumerateArray().Select(i => i.GetProperty("msgId").GetString()));
        Assert.All(dead.EnumerateArray(), i => Assert.Equal("HTTP 500", i.GetProperty("lastError").GetString()));
        Assert.Equal("first", dead[0].GetProperty("event").GetProperty("data").GetProperty("content").GetString());
        Assert.Empty(receiver.DeliveredTo("dead"));

        receiver.Hook("dead").Status = 200;
        using var replay = await tenant.PostAsJsonAsync("/gnapi/open/webhook/replay", new { msgIds = new[] { first.MsgId } });
        Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("replayed").GetInt32());
        var delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("dead"), r => r.Count >= 1, Patience);
        Assert.Equal(first.MsgId, delivered.Single().Id);

        var left = (await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/webhook/dead")).GetProperty("data").GetProperty("items");
        Assert.Equal(second.MsgId, left.EnumerateArray().Single().GetProperty("msgId").GetString());

        using var all = await tenant.PostAsync("/gnapi/open/webhook/replay", null);
        await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("dead"), r => r.Count >= 2, Patience);
        Assert.Equal([first.MsgId, second.MsgId], receiver.DeliveredTo("dead").Select(r => r.Id));
    }

    [Fact]
    public async Task Pending_deliveries_resume_after_a_restart_on_the_same_database()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hook("restart").Status = 503;
        var database = WebhookTestHost.NewDatabaseFile();
        var published = new List<TenantEvent>();
        await using (var first = await WebhookTestHost.StartAsync(database))
        {
            var tenant = await first.TenantClientAsync("t-restart");
            await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("restart"));
            for (var i = 0; i < 12; i++)
            {
                var e = SampleEvents.Text("t-restart", "1688854355260001", $"S:1_{i % 3}", $"m{i}");
                published.Add(e);
                await first.Publisher.PublishAsync(e);
            }

            await WebhookTestHost.EventuallyAsync(() => receiver.For("restart"), r => r.Count >= 3, Patience);
        }

        var triedBefore = receiver.Requests.Count;
        receiver.Hook("restart").Status = 200;
        await using var second = await WebhookTestHost.StartAsync(database);
        var delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("restart"), r => r.Count >= published.Count, Patience);
        Assert.True(triedBefore >= 3);
        Assert.Equal(published.Select(e => e.MsgId).Order(), delivered.Select(r => r.Id!).Order());
        foreach (var group in published.GroupBy(e => e.ConversationId))
            Assert.Equal(group.Select(e => e.MsgId), delivered.Where(r => group.Any(e => e.MsgId == r.Id)).Select(r => r.Id));
    }

    [Fact]
    public async Task Loopback_is_refused_at_configuration_and_at_connection_when_not_allowed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = new TestOptionsMonitor(new WebhookOptions { AllowLoopback = false });
        var guard = new WebhookUrlGuard(options);
        Assert.Contains("loopback", await guard.CheckAsync(receiver.Url("x")));
        Assert.Contains("loopback", await guard.CheckAsync("http://localhost:8080/x"));
        Assert.Contains("private", await guard.CheckAsync("http://10.0.0.1/"));
        Assert.Contains("private", await guard.CheckAsync("http://[::ffff:192.168.0.1]/"));
        Assert.Null(await guard.CheckAsync("http://93.184.215.14/hook"));

        // At delivery the check applies to the address actually connected to (DNS may have changed since).
        using var handler = WebhookSender.CreateHandler(guard, options.CurrentValue);
        var sender = new WebhookSender(new SingleClientFactory(handler), options, TimeProvider.System);
        var outcome = await sender.SendAsync(receiver.Url("x"), new byte[32], "id-1", "{}"u8.ToArray());
        Assert.False(outcome.Success);
        Assert.Contains("loopback", outcome.Error);
        Assert.Empty(receiver.Requests);

        options.CurrentValue.AllowLoopback = true;
        Assert.Null(await guard.CheckAsync(receiver.Url("x")));
        Assert.True((await sender.SendAsync(receiver.Url("x"), new byte[32], "id-2", "{}"u8.ToArray())).Success);
    }

    [Fact]
    public async Task Log_stores_concurrent_publishes_in_batches_with_gap_free_sequences()
    {
        var database = WebhookTestHost.NewDatabaseFile();
        await using var databases = new StorageDatabases(new StorageOptions { ConnectionString = $"Data Source={database}" },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SchemaInstaller>.Instance);
        await using var log = new SqlEventLog(databases, Options.Create(new EventLogOptions()), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlEventLog>.Instance);
        const int Count = 20_000, Accounts = 50;
        var events = Enumerable.Range(0, Count)
            .Select(i => SampleEvents.Text("t-bulk", (1688854355260000L + i % Accounts).ToString(), "S:1_2", $"m{i}"))
            .ToList();
        var watch = Stopwatch.StartNew();
        var stored = await Task.WhenAll(events.Select(e => log.AppendAsync(e)));
        watch.Stop();
        output.WriteLine($"{Count} events, {Accounts} accounts, SQLite WAL: {Count / watch.Elapsed.TotalSeconds:0} events/s ({watch.ElapsedMilliseconds} ms)");
        Assert.All(stored, Assert.True);
        var again = await log.AppendAsync(events[17]);
        Assert.False(again);

        var account = "1688854355260007";
        var rows = await log.ReadAccountAsync(new TenantId("t-bulk"), account, 0, 1000);
        Assert.Equal(Enumerable.Range(1, Count / Accounts).Select(i => (long)i), rows.Select(r => r.Seq));
        Assert.Equal(Count, await log.GetTenantHeadAsync(new TenantId("t-bulk")));
    }

    private sealed class TestOptionsMonitor(WebhookOptions value) : IOptionsMonitor<WebhookOptions>
    {
        public WebhookOptions CurrentValue { get; } = value;
        public WebhookOptions Get(string? name) => CurrentValue;
        public IDisposable? OnChange(Action<WebhookOptions, string?> listener) => null;
    }

    private sealed class SingleClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>
/// Issue 18, finding 8: retry state that survives a restart, order per conversation that lets other conversations
/// flow past a refused one, and replays that pruning keeps. Real hosts on one SQLite file, a real loopback endpoint.
/// </summary>
public sealed class WebhookDurabilityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private const string W = "1688854355260001";

    private static async Task<JsonElement> DeadAsync(HttpClient tenant) =>
        (await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/webhook/dead")).GetProperty("data").GetProperty("items");

    [Fact]
    public async Task A_retry_after_the_endpoint_asked_for_holds_across_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = receiver.Hook("later");
        hook.Status = 503;
        hook.RetryAfterSeconds = 60;
        var database = WebhookTestHost.NewDatabaseFile();
        var e = SampleEvents.Text("t-later", W, "S:1_2", "later");
        await using (var first = await WebhookTestHost.StartAsync(database))
        {
            var tenant = await first.TenantClientAsync("t-later");
            await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("later"));
            await first.Publisher.PublishAsync(e);
            await WebhookTestHost.EventuallyAsync(() => receiver.For("later"), r => r.Count >= 1, Patience);
            await Task.Delay(300); // the failed attempt is recorded
        }

        hook.Status = 200;
        await using var second = await WebhookTestHost.StartAsync(database, new Dictionary<string, string?> { ["Webhooks:SweepInterval"] = "00:00:00.250" });
        // The sweeper (every 250 ms here, about six sweeps) wakes the tenant's delivery; it must still wait out the minute it was asked to.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Single(receiver.For("later"));
    }

    [Fact]
    public async Task A_dead_letter_counts_every_attempt_across_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hook("count").Status = 500;
        var database = WebhookTestHost.NewDatabaseFile();
        var settings = new Dictionary<string, string?> { ["Webhooks:MaxRetryDuration"] = "00:00:05" };
        var e = SampleEvents.Text("t-count", W, "S:1_2", "count");
        await using (var first = await WebhookTestHost.StartAsync(database, settings))
        {
            var tenant = await first.TenantClientAsync("t-count");
            await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("count"));
            await first.Publisher.PublishAsync(e);
            await WebhookTestHost.EventuallyAsync(() => receiver.For("count"), r => r.Count >= 3, Patience);
        }

        var beforeRestart = receiver.For("count").Count;
        await using var second = await WebhookTestHost.StartAsync(database, settings);
        var client = await second.TenantClientAsync("t-count");
        var dead = await WebhookTestHost.EventuallyAsync(() => DeadAsync(client).Result, items => items.GetArrayLength() == 1, Patience);
        var attempts = receiver.For("count").Count(r => r.Id == e.MsgId);
        Assert.True(attempts > beforeRestart, "the second host tried again before giving up");
        Assert.Equal(attempts, dead[0].GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_refused_conversation_does_not_hold_back_the_others()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        const string Stuck = "S:1688854355260001_7881300839070001", Free = "R:10696052955016666";
        receiver.Hook("lanes").StatusFor = body => body.Contains(Stuck, StringComparison.Ordinal) ? 500 : null;
        // A small window: on a strictly bounded in-order queue the stuck conversation's backlog alone would fill it.
        await using var host = await WebhookTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:MaxWindow"] = "20" });
        var tenant = await host.TenantClientAsync("t-lanes");
        await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("lanes"));

        var stuck = Enumerable.Range(0, 30).Select(i => SampleEvents.Text("t-lanes", W, Stuck, $"stuck {i}")).ToList();
        var free = Enumerable.Range(0, 10).Select(i => SampleEvents.Text("t-lanes", W, Free, $"free {i}")).ToList();
        foreach (var e in stuck.Concat(free)) await host.Publisher.PublishAsync(e);

        var delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("lanes"), r => r.Count >= free.Count, Patience);
        Assert.Equal(free.Select(e => e.MsgId), delivered.Select(r => r.Id));
        // Within the refused conversation only its first event was tried: order holds there.
        Assert.Equal([stuck[0].MsgId], receiver.For("lanes").Where(r => r.Status == 500).Select(r => r.Id).Distinct());

        // Once the endpoint takes it, the refused conversation follows, complete and in order.
        receiver.Hook("lanes").StatusFor = null;
        delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("lanes"), r => r.Count >= free.Count + stuck.Count, Patience);
        Assert.Equal(stuck.Select(e => e.MsgId), delivered.Skip(free.Count).Select(r => r.Id));
    }

    [Fact]
    public async Task A_replayed_dead_letter_survives_pruning_past_retention_and_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = receiver.Hook("pruned");
        var database = WebhookTestHost.NewDatabaseFile();
        var old = SampleEvents.Text("t-pruned", W, "S:1_3", "delivered long ago");
        var e = SampleEvents.Text("t-pruned", W, "S:1_2", "replayed");
        await using (var first = await WebhookTestHost.StartAsync(database, new Dictionary<string, string?> { ["Webhooks:MaxRetryDuration"] = "00:00:01" }))
        {
            var tenant = await first.TenantClientAsync("t-pruned");
            await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("pruned"));
            await first.Publisher.PublishAsync(old);
            await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("pruned"), r => r.Count >= 1, Patience);
            hook.Status = 500;
            await first.Publisher.PublishAsync(e);
            await WebhookTestHost.EventuallyAsync(() => DeadAsync(tenant).Result, items => items.GetArrayLength() == 1, Patience);
        }

        await using (var second = await WebhookTestHost.StartAsync(database))
        {
            var tenant = await second.TenantClientAsync("t-pruned");
            using var replay = await tenant.PostAsJsonAsync("/gnapi/open/webhook/replay", new { msgIds = new[] { e.MsgId } });
            Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("replayed").GetInt32());
            var tried = receiver.For("pruned").Count;
            await WebhookTestHost.EventuallyAsync(() => receiver.For("pruned"), r => r.Count > tried, Patience);

            // Pruning as the sweeper runs it with the clock past retention: the delivered event goes, the replay stays.
            var log = second.Services.GetRequiredService<IEventLog>();
            var options = second.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EventLogOptions>>().Value;
            var pruned = await log.PruneAsync(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));
            Assert.True(pruned >= 1, $"pruned {pruned} (retention {options.Retention})");
            Assert.DoesNotContain(await log.ReadTenantAsync(new TenantId("t-pruned"), 0, 10), x => x.Event.MsgId == old.MsgId);
        }

        hook.Status = 200;
        await using var third = await WebhookTestHost.StartAsync(database);
        var delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("pruned"), r => r.Count >= 2, Patience);
        Assert.Equal([old.MsgId, e.MsgId], delivered.Select(r => r.Id));
    }

    [Fact]
    public async Task Replaying_more_dead_letters_than_the_window_holds_delivers_them_all()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hook("many").Status = 500;
        var database = WebhookTestHost.NewDatabaseFile();
        var window = new Dictionary<string, string?> { ["Webhooks:MaxWindow"] = "3" };
        var events = Enumerable.Range(0, 8).Select(i => SampleEvents.Text("t-many", W, $"S:1_{i}", $"m{i}")).ToList();
        await using (var first = await WebhookTestHost.StartAsync(database, new Dictionary<string, string?>(window) { ["Webhooks:MaxRetryDuration"] = "00:00:01" }))
        {
            var tenant = await first.TenantClientAsync("t-many");
            await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("many"));
            foreach (var e in events) await first.Publisher.PublishAsync(e);
            await WebhookTestHost.EventuallyAsync(() => DeadAsync(tenant).Result, items => items.GetArrayLength() == events.Count, Patience);
        }

        await using var second = await WebhookTestHost.StartAsync(database, window);
        var client = await second.TenantClientAsync("t-many");
        var tried = receiver.For("many").Count;
        using var replay = await client.PostAsync("/gnapi/open/webhook/replay", null);
        Assert.Equal(events.Count, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("replayed").GetInt32());
        // The first page of replays is refused a few times before the endpoint recovers; the rest must follow it.
        await WebhookTestHost.EventuallyAsync(() => receiver.For("many"), r => r.Count >= tried + 9, Patience);
        receiver.Hook("many").Status = 200;
        var delivered = await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("many"), r => r.Count >= events.Count, Patience);
        Assert.Equal(events.Select(e => e.MsgId).Order(), delivered.Select(r => r.Id!).Order());
    }

    [Fact]
    public async Task Pruning_on_fake_time_keeps_a_pending_replay_until_it_is_delivered()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
        var retention = new EventLogOptions().Retention;
        var database = WebhookTestHost.NewDatabaseFile();
        await using var databases = new StorageDatabases(new StorageOptions { ConnectionString = $"Data Source={database}" }, NullLogger<SchemaInstaller>.Instance);
        await databases.EnsureSchemaAsync();
        await using var log = new SqlEventLog(databases, Options.Create(new EventLogOptions()), time, NullLogger<SqlEventLog>.Instance);
        var tenant = new TenantId("t-retention");
        var replayed = SampleEvents.Text(tenant.Value, W, "S:1_2", "replayed");
        var dead = SampleEvents.Text(tenant.Value, W, "S:1_2", "left dead");
        Assert.True(await log.AppendAsync(replayed));
        Assert.True(await log.AppendAsync(dead));
        await log.MarkDeadAsync(tenant, 1, 5, "HTTP 500", time.GetUtcNow());
        await log.MarkDeadAsync(tenant, 2, 5, "HTTP 500", time.GetUtcNow());
        await log.SaveWebhookAsync(new WebhookRecord(tenant, "http://127.0.0.1:1/hook", "whsec_unused", 2, 0));

        time.Advance(retention - TimeSpan.FromMinutes(1));
        Assert.Equal(1, await log.RequeueDeadAsync(tenant, [replayed.MsgId], time.GetUtcNow()));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await log.PruneAsync(time.GetUtcNow() - retention));
        Assert.Equal([replayed.MsgId], (await log.ReadReplaysAsync(tenant, 0, 10)).Select(r => r.Entry.Event.MsgId));
        Assert.Equal([tenant], await log.TenantsWithPendingAsync());

        // Delivered, it is an ordinary old event again and goes with the next prune.
        await log.MarkDeliveredAsync(tenant, [1L]);
        Assert.Equal(1, await log.PruneAsync(time.GetUtcNow() - retention));
        Assert.Empty(await log.ReadTenantAsync(tenant, 0, 10));
    }
}

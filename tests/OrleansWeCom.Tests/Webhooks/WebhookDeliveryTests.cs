using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace OrleansWeCom.Tests.Webhooks;

public sealed class WebhookDeliveryTests(WebhookDeliveryTests.Running running) : IClassFixture<WebhookDeliveryTests.Running>
{
    /// <summary>One host and receiver for the class: each test has a tenant and a receiver path of its own.</summary>
    public sealed class Running : IAsyncLifetime
    {
        internal WebhookReceiver Receiver { get; private set; } = null!;
        internal WebhookTestHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Receiver = await WebhookReceiver.StartAsync();
            Host = await WebhookTestHost.StartAsync();
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly WebhookReceiver _receiver = running.Receiver;
    private readonly WebhookTestHost _host = running.Host;

    [Fact]
    public async Task Delivered_event_is_the_seed_envelope_signed_per_standard_webhooks()
    {
        var tenant = await _host.TenantClientAsync("t-sign");
        var (status, put) = await WebhookTestHost.PutWebhookAsync(tenant, _receiver.Url("sign"));
        Assert.Equal(HttpStatusCode.OK, status);
        var secret = put.GetProperty("data").GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);

        var sent = SampleEvents.Text("t-sign", "1688854355260001", "S:1688854355260001_7881300839070001", "早晨阳光里!", sendMsgId: "a142fe5f-0220-4084-931c-1206987fbae1");
        await _host.Publisher.PublishAsync(sent);

        var got = (await WebhookTestHost.EventuallyAsync(() => _receiver.DeliveredTo("sign"), r => r.Count > 0, Patience)).Single();
        Assert.Equal(sent.MsgId, got.Id);
        var timestamp = long.Parse(got.Timestamp!);
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        // Verified as a tenant would, straight from the Standard Webhooks specification.
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{got.Id}.{got.Timestamp}.").Concat(got.Body).ToArray();
        var expected = Convert.ToBase64String(new HMACSHA256(key).ComputeHash(signed));
        Assert.Contains($"v1,{expected}", got.Signature!.Split(' '));

        using var body = JsonDocument.Parse(got.Body);
        var root = body.RootElement;
        Assert.Equal(sent.MsgId, root.GetProperty("msgId").GetString());
        Assert.Equal("40c10a375784", root.GetProperty("source").GetString());
        Assert.Equal("apps-1", root.GetProperty("userId").GetString());
        Assert.Equal("1688854355260001", root.GetProperty("wxid").GetString());
        Assert.Equal(sent.Timestamp, root.GetProperty("timestamp").GetInt64());
        Assert.Equal("text_msg", root.GetProperty("type").GetString());
        Assert.Equal("a142fe5f-0220-4084-931c-1206987fbae1", root.GetProperty("sendMsgId").GetString());
        Assert.Equal(1, root.GetProperty("seq").GetInt64());
        var data = root.GetProperty("data");
        Assert.Equal(JsonValueKind.Object, data.ValueKind);
        Assert.Equal("早晨阳光里!", data.GetProperty("content").GetString());
        Assert.True(data.GetProperty("isOpenApi").GetBoolean());
        Assert.Equal("S:1688854355260001_7881300839070001", data.GetProperty("conversation_id").GetString());

        // A tampered body does not verify.
        var tampered = Encoding.UTF8.GetBytes($"{got.Id}.{got.Timestamp}.").Concat(got.Body.Append((byte)' ')).ToArray();
        Assert.DoesNotContain($"v1,{Convert.ToBase64String(new HMACSHA256(key).ComputeHash(tampered))}", got.Signature.Split(' '));

        var view = await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/webhook");
        Assert.Equal(_receiver.Url("sign"), view.GetProperty("data").GetProperty("url").GetString());
        Assert.True(view.GetProperty("data").GetProperty("hasSecret").GetBoolean());
        Assert.False(view.GetProperty("data").TryGetProperty("secret", out _));
    }

    [Fact]
    public async Task Receiver_down_then_up_gets_everything_in_order_per_conversation()
    {
        var tenant = await _host.TenantClientAsync("t-order");
        await WebhookTestHost.PutWebhookAsync(tenant, _receiver.Url("order"));
        _receiver.Hook("order").Status = 503;

        var conversations = new[] { "S:1688854355260001_7881300839070001", "S:1688854355260001_7881300839070002", "R:10696052955016666" };
        var published = new List<TenantEvent>();
        for (var i = 0; i < 10; i++)
            foreach (var conversation in conversations)
            {
                var e = SampleEvents.Text("t-order", "1688854355260001", conversation, $"{conversation} #{i}");
                published.Add(e);
                await _host.Publisher.PublishAsync(e);
            }

        // Down for a while: several failed attempts of the heads, and nothing behind them tried.
        await WebhookTestHost.EventuallyAsync(() => _receiver.For("order"), r => r.Count >= 9, Patience);
        var whileDown = _receiver.For("order").Select(r => r.Id!).Distinct().ToHashSet();
        Assert.Equal(published.Take(conversations.Length).Select(e => e.MsgId).ToHashSet(), whileDown);

        _receiver.Hook("order").Status = 200;
        var delivered = await WebhookTestHost.EventuallyAsync(() => _receiver.DeliveredTo("order"), r => r.Count >= published.Count, Patience);
        Assert.Equal(published.Count, delivered.Count);
        Assert.Equal(published.Select(e => e.MsgId).Order(), delivered.Select(r => r.Id!).Order());
        foreach (var conversation in conversations)
        {
            var expected = published.Where(e => e.ConversationId == conversation).Select(e => e.MsgId).ToList();
            var attempts = _receiver.For("order").Where(r => expected.Contains(r.Id!)).Select(r => r.Id!).ToList();
            // Every attempt (failed or not) of an event comes after the last attempt of the one before it.
            Assert.Equal(expected, attempts.Distinct().ToList());
            Assert.Equal(expected, attempts.Where((id, i) => i == attempts.Count - 1 || attempts[i + 1] != id).ToList());
        }
    }

    [Fact]
    public async Task Retry_after_on_503_is_honoured()
    {
        var tenant = await _host.TenantClientAsync("t-retry-after");
        await WebhookTestHost.PutWebhookAsync(tenant, _receiver.Url("retry-after"));
        var hook = _receiver.Hook("retry-after");
        hook.Status = 503;
        hook.RetryAfterSeconds = 2;
        await _host.Publisher.PublishAsync(SampleEvents.Text("t-retry-after", "1688854355260001", "S:1_2", "x"));
        await WebhookTestHost.EventuallyAsync(() => _receiver.For("retry-after"), r => r.Count >= 1, Patience);
        hook.Status = 200;
        var attempts = await WebhookTestHost.EventuallyAsync(() => _receiver.For("retry-after"), r => r.Count >= 2, Patience);
        // The back-off alone would retry after at most 0.4 s.
        Assert.True(attempts[1].At - attempts[0].At >= TimeSpan.FromSeconds(1.9), $"retried after {attempts[1].At - attempts[0].At}");
    }

    [Fact]
    public async Task Slow_tenant_does_not_delay_another_tenant()
    {
        var slow = await _host.TenantClientAsync("t-slow");
        var fast = await _host.TenantClientAsync("t-fast");
        await WebhookTestHost.PutWebhookAsync(slow, _receiver.Url("slow"));
        await WebhookTestHost.PutWebhookAsync(fast, _receiver.Url("fast"));
        // Each slow delivery takes 5 s: a fast tenant queued behind even one of them would wait seconds, so the 2.5 s
        // bound below tells the two apart with room for a loaded machine.
        _receiver.Hook("slow").Delay = TimeSpan.FromSeconds(5);

        for (var i = 0; i < 40; i++)
            await _host.Publisher.PublishAsync(SampleEvents.Text("t-slow", "1688854355260001", $"S:1688854355260001_78813008390700{i:00}", $"slow {i}"));
        await WebhookTestHost.EventuallyAsync(() => _receiver.For("slow"), r => r.Count >= 1, Patience);

        var started = DateTimeOffset.UtcNow;
        for (var i = 0; i < 10; i++)
            await _host.Publisher.PublishAsync(SampleEvents.Text("t-fast", "1688854355260009", "S:1688854355260009_7881300839070001", $"fast {i}"));
        var fastDelivered = await WebhookTestHost.EventuallyAsync(() => _receiver.DeliveredTo("fast"), r => r.Count >= 10, Patience);
        Assert.Equal(10, fastDelivered.Count);
        var took = fastDelivered.Max(r => r.At) - started;
        Assert.True(took < TimeSpan.FromSeconds(2.5), $"the fast tenant waited {took} behind the slow one");
        Assert.True(_receiver.DeliveredTo("slow").Count < 40, "the slow tenant should still be working through its backlog");
    }

    [Fact]
    public async Task Same_msgId_published_twice_is_stored_and_delivered_once()
    {
        var tenant = await _host.TenantClientAsync("t-dup");
        await WebhookTestHost.PutWebhookAsync(tenant, _receiver.Url("dup"));
        var e = SampleEvents.Text("t-dup", "1688854355260001", "S:1688854355260001_7881300839070001", "once");
        await Task.WhenAll(_host.Publisher.PublishAsync(e), _host.Publisher.PublishAsync(e));
        await _host.Publisher.PublishAsync(e);
        var marker = SampleEvents.Text("t-dup", "1688854355260001", "S:1688854355260001_7881300839070001", "after");
        await _host.Publisher.PublishAsync(marker);

        await WebhookTestHost.EventuallyAsync(() => _receiver.DeliveredTo("dup"), r => r.Any(x => x.Id == marker.MsgId), Patience);
        Assert.Equal([e.MsgId, marker.MsgId], _receiver.DeliveredTo("dup").Select(r => r.Id));

        var page = await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/events?wxId=1688854355260001&after=0");
        var events = page.GetProperty("data").GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([e.MsgId, marker.MsgId], events.Select(x => x.GetProperty("msgId").GetString()));
        Assert.Equal([1L, 2L], events.Select(x => x.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Url_on_a_private_network_is_refused()
    {
        var tenant = await _host.TenantClientAsync("t-ssrf");
        foreach (var url in new[] { "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/x", "http://192.168.1.10:8080/", "ftp://example.com/x" })
        {
            var (status, body) = await WebhookTestHost.PutWebhookAsync(tenant, url);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.NotEqual(0, body.GetProperty("code").GetInt32());
        }

        var view = await tenant.GetFromJsonAsync<JsonElement>("/gnapi/open/webhook");
        Assert.Equal(JsonValueKind.Null, view.GetProperty("data").GetProperty("url").ValueKind);
    }

    [Fact]
    public async Task Burst_of_events_reaches_a_fast_receiver_complete_and_in_order()
    {
        var tenant = await _host.TenantClientAsync("t-burst");
        await WebhookTestHost.PutWebhookAsync(tenant, _receiver.Url("burst"));
        const int Count = 3_000, Conversations = 20;
        var events = Enumerable.Range(0, Count)
            .Select(i => SampleEvents.Text("t-burst", "1688854355260001", $"S:1688854355260001_78813008390700{i % Conversations:00}", $"m{i}"))
            .ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // One publisher per conversation, each in order, as conversation grains publish.
        await Task.Run(() => Task.WhenAll(events.GroupBy(e => e.ConversationId).Select(async g =>
        {
            foreach (var e in g) await _host.Publisher.PublishAsync(e);
        })));
        var published = watch.Elapsed;
        var delivered = await WebhookTestHost.EventuallyAsync(() => _receiver.DeliveredTo("burst"), r => r.Count >= Count, TimeSpan.FromSeconds(60));
        var total = watch.Elapsed;
        Assert.Equal(Count, delivered.Select(r => r.Id).Distinct().Count());
        foreach (var g in events.GroupBy(e => e.ConversationId))
            Assert.Equal(g.Select(e => e.MsgId), delivered.Where(r => g.Any(e => e.MsgId == r.Id)).Select(r => r.Id));
        Console.WriteLine($"webhook burst: {Count} events in {Conversations} conversations stored in {published.TotalMilliseconds:0} ms, all delivered in {total.TotalMilliseconds:0} ms ({Count / total.TotalSeconds:0}/s)");
    }
}

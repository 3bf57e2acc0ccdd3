using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Telemetry;
using OrleansWeCom.Tests.TenantApi;
using OrleansWeCom.Tests.Webhooks;

namespace OrleansWeCom.Tests.Host;

/// <summary>Our meters and traces during a small send run through the emulator, read as an operator reads them.</summary>
[Collection(ProcessWideMeters.Name)]
public class TelemetryTests
{
    /// <summary>The event log failing its first host callback, as an outage would: the inbox must deliver that callback again.</summary>
    private sealed class FailsFirstCallback(TenantEventPublisher inner) : ITenantEventPublisher
    {
        private int _failed;

        public Task PublishAsync(TenantEvent tenantEvent) =>
            tenantEvent.Type is not (TenantEventTypes.AccountStateChanged or TenantEventTypes.AccountAlert) && Interlocked.Exchange(ref _failed, 1) == 0
                ? Task.FromException(new InvalidOperationException("event log unavailable"))
                : inner.PublishAsync(tenantEvent);
    }

    private static readonly string[] Meters =
    [
        "wecom_sends_queued_total", "wecom_sends_settled_total", "wecom_sends_pacing_lateness_milliseconds_count", "wecom_outbox_depth",
        "wecom_budget_granted_total", "wecom_budget_returned_total",
        "wecom_callbacks_ingested_total", "wecom_callbacks_applied_total", "wecom_callbacks_redelivered_total",
        "wecom_inbox_backlog", "wecom_inbox_oldest_age_seconds",
        "wecom_webhooks_deliveries_total", "wecom_webhooks_latency_milliseconds_count", "wecom_webhooks_dead_letters_total",
        "wecom_accounts", "wecom_accounts_transitions_total", "wecom_accounts_login_duration_seconds_count", "wecom_hosts_circuit",
    ];

    [Fact]
    public async Task A_send_run_moves_every_meter_on_the_Prometheus_endpoint()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Hook("failing").Status = 500;
        await using var host = await DirectoryTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus:Enabled"] = "true",
            ["Callbacks:RedeliverAfter"] = "00:00:01",
            ["Conversations:FlushInterval"] = "00:00:00.100",
            ["Webhooks:AllowLoopback"] = "true",
            ["Webhooks:InitialBackoff"] = "00:00:00.100",
            ["Webhooks:MaxBackoff"] = "00:00:00.200",
            ["Webhooks:MaxRetryDuration"] = "00:00:01",
        }, services =>
        {
            services.AddSingleton<TenantEventPublisher>();
            services.AddSingleton<ITenantEventPublisher>(sp => new FailsFirstCallback(sp.GetRequiredService<TenantEventPublisher>()));
        });

        // Scraped all along: gauges such as the inbox backlog are non-zero only while work is pending.
        var highest = new ConcurrentDictionary<string, double>();
        using var stop = new CancellationTokenSource();
        var scraping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    foreach (var (name, value) in Samples(await host.Http.GetStringAsync("/metrics")))
                        highest.AddOrUpdate(name, value, (_, old) => Math.Max(old, value));
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }
        });

        var tenant = await host.TenantAsync("metrics");
        await DirectoryTestHost.DataAsync(await tenant.PutAsJsonAsync("/gnapi/open/webhook", new { url = receiver.Url("failing") }));
        var (hostname, wxId) = await host.LoginAsync(tenant);
        var customer = await CustomerOfAsync(host, wxId);
        var msgIds = new List<string>();
        for (var i = 0; i < 4; i++) msgIds.Add(await SendTextAsync(tenant, wxId, customer, $"metered {i}"));
        await WaitForStatusAsync(tenant, msgIds[1], "sent");
        // Stopped with sends still queued: the account gives its unused budget back.
        await DirectoryTestHost.DataAsync(await tenant.PostAsJsonAsync("/gnapi/open/container/stop", new { hostname }));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && Meters.Any(m => highest.GetValueOrDefault(m) <= 0)) await Task.Delay(200);
        await stop.CancelAsync();
        await scraping;

        var missing = Meters.Where(m => highest.GetValueOrDefault(m) <= 0).ToList();
        Assert.True(missing.Count == 0, $"meters without a non-zero value: {string.Join(", ", missing)}\nseen: "
            + string.Join(", ", highest.Where(h => h.Key.StartsWith("wecom", StringComparison.Ordinal)).Select(h => $"{h.Key}={h.Value}")));
    }

    [Fact]
    public async Task One_trace_spans_the_tenants_send_request_and_the_host_call()
    {
        using var spans = new ActivityRecorder();

        await using var host = await DirectoryTestHost.StartAsync();
        var tenant = await host.TenantAsync("traced");
        var (_, wxId) = await host.LoginAsync(tenant);
        // The tenant's request carries its own trace (W3C traceparent), as a traced client would send it.
        var trace = ActivityTraceId.CreateRandom();
        var caller = ActivitySpanId.CreateRandom();
        var conversation = ConversationId.Single(new WxId(wxId), new WxId(await CustomerOfAsync(host, wxId))).Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/gnapi/open/msg/text") { Content = JsonContent.Create(new { wxId, conversationId = conversation, content = "traced" }) };
        post.Headers.Add("traceparent", $"00-{trace}-{caller}-01");
        var msgId = (await DirectoryTestHost.DataAsync(await tenant.SendAsync(post))).GetProperty("msgId").GetString()!;
        await WaitForStatusAsync(tenant, msgId, "sent");

        var request = await spans.WaitForAsync(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == trace && a.ParentSpanId == caller);
        var send = await spans.WaitForAsync(a => a.Source.Name == WeComTelemetry.Name && a.OperationName == "wecom.send" && (string?)a.GetTagItem("wecom.msg_id") == msgId);
        Assert.Equal(request.TraceId, send.TraceId);
        // The host's HTTP call is a child of the send's span, in the same trace.
        var call = await spans.WaitForAsync(a => a.Source.Name == "System.Net.Http" && a.ParentSpanId == send.SpanId);
        Assert.Equal(trace, call.TraceId);
    }

    /// <summary>Each sample's metric name and value, summed over its labels (comments and histogram buckets left out).</summary>
    private static IEnumerable<(string Name, double Value)> Samples(string text) => text.Split('\n')
        .Where(l => l.Length > 0 && l[0] != '#')
        .Select(l => (Name: l[..l.IndexOfAny(['{', ' '])], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
        .GroupBy(s => s.Name)
        .Select(g => (g.Key, g.Sum(s => s.Value)));

    internal static async Task<string> CustomerOfAsync(DirectoryTestHost host, string wxId)
    {
        var world = await host.Emulator.GetFromJsonAsync<JsonElement>("/emulator/world");
        foreach (var corp in world.GetProperty("corps").EnumerateArray())
        foreach (var account in corp.GetProperty("accounts").EnumerateArray())
            if (account.GetProperty("wxId").GetString() == wxId)
                return account.GetProperty("externalContacts")[0].GetString()!;
        throw new InvalidOperationException($"account {wxId} not in the world");
    }

    internal static async Task<string> SendTextAsync(HttpClient tenant, string wxId, string to, string content)
    {
        var conversation = ConversationId.Single(new WxId(wxId), new WxId(to)).Value;
        var data = await DirectoryTestHost.DataAsync(await tenant.PostAsJsonAsync("/gnapi/open/msg/text", new { wxId, conversationId = conversation, content }));
        return data.GetProperty("msgId").GetString()!;
    }

    private static async Task WaitForStatusAsync(HttpClient tenant, string msgId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var data = await DirectoryTestHost.DataAsync(await tenant.GetAsync($"/gnapi/open/msg/status?msgId={msgId}"));
            if (data.GetProperty("status").GetString() == status) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"send {msgId} is {data}, never {status}");
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// Our meters are process-wide: containers of other test hosts deactivating meanwhile would move the same up-down
/// counters (accounts by status), so the tests that read them run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideMeters
{
    public const string Name = "process-wide meters";
}

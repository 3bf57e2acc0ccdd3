using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansWeCom.Telemetry;
using OrleansWeCom.Tests.TenantApi;
using OrleansWeCom.Tests.Webhooks;

namespace OrleansWeCom.Tests.Host;

/// <summary>A host's callback and the tenant's webhook delivery of it, in one trace, through the inbox and the event log.</summary>
public class CallbackTraceTests
{
    [Fact]
    public async Task One_trace_spans_the_hosts_callback_post_and_the_webhook_post_of_its_event()
    {
        using var spans = new ActivityRecorder();

        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await DirectoryTestHost.StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowLoopback"] = "true" });
        var tenant = await host.TenantAsync("cbtrace");
        using (var put = await tenant.PutAsJsonAsync("/gnapi/open/webhook", new { url = receiver.Url("cbtrace") }))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        await host.LoginAsync(tenant);

        // The host's user_login callback, as the tenant's endpoint received it.
        var delivered = await EventuallyAsync(() => receiver.DeliveredTo("cbtrace")
            .Select(r => (Request: r, Body: JsonDocument.Parse(r.Body).RootElement))
            .FirstOrDefault(r => r.Body.GetProperty("type").GetString() == "user_login"));
        var msgId = delivered.Body.GetProperty("msgId").GetString()!;
        Assert.True(ActivityContext.TryParse(delivered.Request.TraceParent, null, out var received), $"no traceparent on the webhook POST: '{delivered.Request.TraceParent}'");

        // The span the gateway opened when it accepted the callback, under the POST /callbacks request's span.
        var accepted = await spans.WaitForAsync(a => a.OperationName == "wecom.callback" && (string?)a.GetTagItem("wecom.callback.msg_id") == msgId);
        var post = await spans.WaitForAsync(a => a.Source.Name == "Microsoft.AspNetCore" && a.SpanId == accepted.ParentSpanId);
        Assert.Equal("Microsoft.AspNetCore.Hosting.HttpRequestIn", post.OperationName);
        Assert.Equal("emulator", accepted.GetTagItem("wecom.host"));
        Assert.Equal(post.TraceId, received.TraceId);

        // Applied by the router in that trace, delivered by a span of it, whose HTTP call is the POST the tenant received.
        var applied = await spans.WaitForAsync(a => a.OperationName == "wecom.callback.apply" && a.ParentSpanId == accepted.SpanId);
        var deliver = await spans.WaitForAsync(a => a.OperationName == "wecom.webhook.deliver" && (string?)a.GetTagItem("wecom.webhook.id") == msgId && a.TraceId == post.TraceId);
        Assert.Equal(applied.SpanId, deliver.ParentSpanId);
        var call = await spans.WaitForAsync(a => a.Source.Name == "System.Net.Http" && a.ParentSpanId == deliver.SpanId);
        Assert.Equal(received.SpanId, call.SpanId);
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (read() is { } found && !EqualityComparer<T>.Default.Equals(found, default!)) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the webhook never received the user_login callback");
            await Task.Delay(50);
        }
    }
}

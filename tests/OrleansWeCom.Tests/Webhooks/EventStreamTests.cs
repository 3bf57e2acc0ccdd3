using System.Net;
using System.Text.Json;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>The live event stream (Server-Sent Events) read as a client reads it, over real HTTP.</summary>
public class EventStreamTests
{
    private sealed record Received(long Id, string Type, string MsgId);

    /// <summary>One open stream: reads events one at a time; disposing it drops the connection.</summary>
    private sealed class StreamClient : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private StreamClient(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public List<string> Comments { get; } = [];

        public static async Task<StreamClient> OpenAsync(HttpClient tenant, long? lastEventId = null, string query = "")
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/gnapi/open/events/stream" + query);
            if (lastEventId is { } id) request.Headers.Add("Last-Event-ID", id.ToString());
            var response = await tenant.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new StreamClient(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        /// <summary>The next event, or null when the server ended the stream.</summary>
        public async Task<Received?> NextAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            long? id = null;
            string? type = null, data = null;
            while (await _reader.ReadLineAsync(cancel.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                        return new Received(id!.Value, type!, JsonDocument.Parse(data).RootElement.GetProperty("msgId").GetString()!);
                    continue;
                }

                if (line.StartsWith(':')) Comments.Add(line);
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..]);
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }

            return null;
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static Task<WebhookTestHost> StartAsync(int maxConnections = 5) => WebhookTestHost.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Gateway:EventStream:PollInterval"] = "00:00:00.050",
        ["Gateway:EventStream:HeartbeatInterval"] = "00:00:00.200",
        ["Gateway:EventStream:MaxConnectionsPerTenant"] = maxConnections.ToString(),
    });

    private static async Task<string> PublishAsync(WebhookTestHost host, string tenant, int n)
    {
        var msgId = $"{tenant}-{n}";
        await host.Publisher.PublishAsync(SampleEvents.Text(tenant, "wx-" + tenant, "S:wx-" + tenant + "_c1", $"message {n}", msgId));
        return msgId;
    }

    [Fact]
    public async Task A_client_reconnecting_with_Last_Event_ID_sees_every_event_once_in_order_and_only_its_own()
    {
        await using var host = await StartAsync();
        var tenant = await host.TenantClientAsync("sse-a");
        using var other = await host.TenantClientAsync("sse-b");
        var published = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            published.Add(await PublishAsync(host, "sse-a", i));
            await PublishAsync(host, "sse-b", i);
        }

        var seen = new List<Received>();
        await using (var first = await StreamClient.OpenAsync(tenant))
            for (var i = 0; i < 3; i++)
                seen.Add(await first.NextAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("stream ended"));

        // More events arrive, for both tenants, while the client is away and after it is back.
        var producing = Task.Run(async () =>
        {
            var more = new List<string>();
            for (var i = 5; i < 25; i++)
            {
                more.Add(await PublishAsync(host, "sse-a", i));
                await PublishAsync(host, "sse-b", i);
                await Task.Delay(10);
            }

            return more;
        });
        await using (var again = await StreamClient.OpenAsync(tenant, lastEventId: seen[^1].Id))
        {
            while (seen.Count < 25)
                seen.Add(await again.NextAsync(TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("stream ended"));
            published.AddRange(await producing);
            // Nothing after the last event: no repeat, no stray event of the other tenant.
            Assert.Null(await NextOrNullAsync(again, TimeSpan.FromMilliseconds(600)));
            Assert.Contains(again.Comments, c => c.StartsWith(": heartbeat", StringComparison.Ordinal));
        }

        Assert.Equal(published, seen.Select(r => r.MsgId));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), seen.Select(r => r.Id));
        Assert.All(seen, r => Assert.Equal("text_msg", r.Type));

        // A browser's first connection names its cursor in the query.
        await using var browser = await StreamClient.OpenAsync(tenant, query: "?after=23");
        Assert.Equal(["sse-a-23", "sse-a-24"], [(await browser.NextAsync(TimeSpan.FromSeconds(10)))!.MsgId, (await browser.NextAsync(TimeSpan.FromSeconds(10)))!.MsgId]);
    }

    [Fact]
    public async Task A_tenant_past_its_stream_bound_gets_429_and_bad_input_a_clear_error()
    {
        await using var host = await StartAsync(maxConnections: 2);
        var tenant = await host.TenantClientAsync("sse-bound");
        using var other = await host.TenantClientAsync("sse-other");
        var one = await StreamClient.OpenAsync(tenant);
        await using var two = await StreamClient.OpenAsync(tenant);
        using (var third = await tenant.GetAsync("/gnapi/open/events/stream"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal(ErrorCodes.QueueFull, JsonDocument.Parse(await third.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        // Another tenant's streams do not count against this one's.
        await using (await StreamClient.OpenAsync(other))
        {
        }

        // A stream closed by its client gives its place back.
        await one.DisposeAsync();
        var reopened = await WebhookTestHost.EventuallyAsync(() => tenant.GetAsync("/gnapi/open/events/stream", HttpCompletionOption.ResponseHeadersRead).Result,
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        using (reopened) Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);

        using var bad = new HttpRequestMessage(HttpMethod.Get, "/gnapi/open/events/stream");
        bad.Headers.Add("Last-Event-ID", "yesterday");
        using var refused = await other.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var envelope = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("Last-Event-ID", envelope.GetProperty("msg").GetString());
        Assert.Equal(JsonValueKind.Null, envelope.GetProperty("data").ValueKind);

        using var anonymous = await host.Http.GetAsync("/gnapi/open/events/stream");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Shutting_the_gateway_down_ends_an_open_stream_cleanly()
    {
        var host = await StartAsync();
        var tenant = await host.TenantClientAsync("sse-stop");
        await PublishAsync(host, "sse-stop", 0);
        await using var stream = await StreamClient.OpenAsync(tenant);
        Assert.NotNull(await stream.NextAsync(TimeSpan.FromSeconds(10)));

        var stopping = Task.Run(async () => await host.DisposeAsync());
        // The server ends the response: the client reads the end of the stream, not a hang until a timeout.
        Assert.Null(await stream.NextAsync(TimeSpan.FromSeconds(15)));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<Received?> NextOrNullAsync(StreamClient stream, TimeSpan wait)
    {
        try
        {
            return await stream.NextAsync(wait);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

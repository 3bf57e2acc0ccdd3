using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Gateway.Webhooks;

/// <summary>The live event stream (section <c>Gateway:EventStream</c>).</summary>
public sealed class EventStreamOptions
{
    /// <summary>Open streams one tenant may hold on one gateway; one more answers 429.</summary>
    public int MaxConnectionsPerTenant { get; set; } = 5;

    /// <summary>How often an idle stream looks in the event log for new events.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a stream may stay silent before a comment line keeps proxies and clients from closing it.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Counts each tenant's open streams on this gateway, to hold them to their bound.</summary>
public sealed class EventStreamConnections(IOptions<EventStreamOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public int OpenFor(TenantId tenant) => _open.GetValueOrDefault(tenant.Value);

    /// <summary>Takes a place for the tenant, or returns null when it holds as many streams as it may.</summary>
    public IDisposable? TryOpen(TenantId tenant)
    {
        var max = options.Value.MaxConnectionsPerTenant;
        while (true)
        {
            var open = _open.GetValueOrDefault(tenant.Value);
            if (open >= max) return null;
            if (open == 0 ? _open.TryAdd(tenant.Value, 1) : _open.TryUpdate(tenant.Value, open + 1, open)) return new Place(this, tenant.Value);
        }
    }

    private void Close(string tenant)
    {
        while (true)
        {
            var open = _open[tenant];
            if (open == 1 ? _open.TryRemove(KeyValuePair.Create(tenant, 1)) : _open.TryUpdate(tenant, open - 1, open)) return;
        }
    }

    private sealed class Place(EventStreamConnections owner, string tenant) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) owner.Close(tenant);
        }
    }
}

/// <summary>
/// <c>GET /gnapi/open/events/stream</c>: the tenant's events as Server-Sent Events, read from the event log in
/// <c>tenant_seq</c> order, each with <c>id:</c> its tenant sequence number. A client resumes after the last id it saw
/// (<c>Last-Event-ID</c>, or <c>?after=</c> for a first connection); the stream ends when the gateway shuts down.
/// </summary>
public static class EventStreamEndpoints
{
    private const int Batch = 200;

    public static void MapEventStream(this RouteGroupBuilder open)
    {
        open.MapGet("/events/stream", async (HttpContext http, IGrainFactory grains, EventStreamConnections connections,
            IOptions<EventStreamOptions> options, IHostApplicationLifetime lifetime, TimeProvider time) =>
        {
            var tenant = http.Tenant();
            var after = After(http.Request);
            using var place = connections.TryOpen(tenant) ?? throw new ApiError(StatusCodes.Status429TooManyRequests, ErrorCodes.QueueFull,
                $"too many event streams: this tenant already holds {options.Value.MaxConnectionsPerTenant} on this gateway; close one first");
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            var cancel = stopping.Token;

            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.ContentType = "text/event-stream; charset=utf-8";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            var reader = grains.GetGrain<IEventLogReaderGrain>(0);
            var o = options.Value;
            var lastWrite = time.GetTimestamp();
            try
            {
                // Tells a browser's EventSource how soon to come back after a drop.
                await WriteAsync(http, "retry: 2000\n\n", cancel);
                while (!cancel.IsCancellationRequested)
                {
                    var events = await reader.ReadTenantAsync(tenant, after, Batch);
                    if (events.Count > 0)
                    {
                        var text = new StringBuilder();
                        foreach (var e in events)
                        {
                            text.Append("id: ").Append(e.TenantSeq).Append('\n')
                                .Append("event: ").Append(e.Event.Type).Append('\n')
                                .Append("data: ").Append(DataLines(EventEnvelope.Serialize(e.Event, e.Seq))).Append("\n\n");
                            after = e.TenantSeq;
                        }

                        await WriteAsync(http, text.ToString(), cancel);
                        lastWrite = time.GetTimestamp();
                        continue; // only an empty page means caught up: the log cuts a page short at its byte budget
                    }
                    else if (time.GetElapsedTime(lastWrite) >= o.HeartbeatInterval)
                    {
                        await WriteAsync(http, ": heartbeat\n\n", cancel);
                        lastWrite = time.GetTimestamp();
                    }

                    await Task.Delay(o.PollInterval, time, cancel);
                }
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // The client left or the gateway is stopping: the response ends here, cleanly.
            }
        }).WithSummary("The tenant's events as Server-Sent Events, resumable with Last-Event-ID");
    }

    /// <summary>Where to resume: <c>Last-Event-ID</c> (a reconnecting EventSource sends it) wins over <c>?after=</c>.</summary>
    private static long After(HttpRequest request)
    {
        var header = request.Headers["Last-Event-ID"].ToString();
        var (text, name) = header.Length > 0 ? (header, "Last-Event-ID") : (request.Query["after"].ToString(), "after");
        if (text.Length == 0) return 0;
        return long.TryParse(text, out var value) && value >= 0 ? value : throw ApiError.BadRequest($"{name} must be a non-negative integer (an event's id)");
    }

    /// <summary>The event's JSON as SSE data: a line break inside it (raw JSON may hold one) starts another <c>data:</c> line.</summary>
    private static string DataLines(byte[] json) =>
        Encoding.UTF8.GetString(json).ReplaceLineEndings("\n").Replace("\n", "\ndata: ", StringComparison.Ordinal);

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.WriteAsync(text, cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}

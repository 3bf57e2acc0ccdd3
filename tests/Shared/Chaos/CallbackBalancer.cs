using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansWeCom.Testing.Chaos;

/// <summary>A callback the product acknowledged (answered 2xx), as the host's balancer saw it.</summary>
public sealed record AckedCallback(string MsgId, string Type, string Source, string? Content, string? ConversationId, DateTimeOffset At);

/// <summary>
/// What a Kubernetes Service is to the container host: one callback URL in front of the silos. Each POST goes to the
/// next live silo in turn; a silo that refuses the connection is skipped, and with none reachable the host gets 503
/// and retries. Records every acknowledged callback, the record the invariants check the tenant's event log against.
/// </summary>
public sealed class CallbackBalancer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IReadOnlyList<SiloProcess> _silos;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(30), MaxConnectionsPerServer = 256 })
    {
        Timeout = TimeSpan.FromSeconds(15),
    };

    private int _next;
    private long _forwardFailures;
    private long _repeated;

    private CallbackBalancer(WebApplication app, IReadOnlyList<SiloProcess> silos, Uri address)
    {
        _app = app;
        _silos = silos;
        BaseAddress = address;
    }

    public Uri BaseAddress { get; }

    /// <summary>Every acknowledged callback by its msgId (a host's retry of one already acknowledged is counted once).</summary>
    public ConcurrentDictionary<string, AckedCallback> Acked { get; } = new();

    /// <summary>Acknowledgements of a msgId already acknowledged: the host's duplicates the product must absorb.</summary>
    public long RepeatedAcks => Interlocked.Read(ref _repeated);

    public long ForwardFailures => Interlocked.Read(ref _forwardFailures);

    /// <summary>When true every callback goes to the first live silo, so one container's callbacks stay on one silo.</summary>
    public bool Sticky { get; set; }

    public static async Task<CallbackBalancer> StartAsync(IReadOnlyList<SiloProcess> silos)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // The test process's own configuration (URLs, Kestrel endpoints) must not reach this server.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        CallbackBalancer? self = null;
        app.MapPost("/callbacks/{host}", (HttpContext context) => self!.ForwardAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new CallbackBalancer(app, silos, new Uri(address));
        return self;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var start = Sticky ? 0 : Interlocked.Increment(ref _next);
        for (var i = 0; i < _silos.Count; i++)
        {
            var silo = _silos[(int)((uint)(start + i) % _silos.Count)];
            if (!silo.Up) continue;
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
                using var answer = await _http.PostAsync(new Uri(silo.BaseAddress, context.Request.Path + context.Request.QueryString), content);
                context.Response.StatusCode = (int)answer.StatusCode;
                if (answer.IsSuccessStatusCode) Record(body);
                await answer.Content.CopyToAsync(context.Response.Body);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The silo died under the request or refuses connections: the next one is tried, as a Service would.
                Interlocked.Increment(ref _forwardFailures);
            }
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
    }

    private void Record(byte[] body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var msgId = root.GetProperty("msgId").GetString()!;
        string? content = null, conversation = null;
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            if (data.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) content = c.GetString();
            if (data.TryGetProperty("conversation_id", out var v) && v.ValueKind == JsonValueKind.String) conversation = v.GetString();
        }

        var ack = new AckedCallback(msgId, root.GetProperty("type").GetString()!, root.GetProperty("source").GetString()!, content, conversation, DateTimeOffset.UtcNow);
        if (!Acked.TryAdd(msgId, ack)) Interlocked.Increment(ref _repeated);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _http.Dispose();
    }
}

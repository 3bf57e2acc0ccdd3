using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>A tenant's endpoint on real Kestrel: records every POST; each hook can be made to fail or to be slow.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(string Hook, string? Id, string? Timestamp, string? Signature, byte[] Body, int Status, DateTimeOffset At, string? TraceParent = null);

    public sealed class Behaviour
    {
        public volatile int Status = 200;
        public TimeSpan Delay;
        public int? RetryAfterSeconds;
        /// <summary>When set, answers this status instead of <see cref="Status"/> for bodies it returns one for.</summary>
        public Func<string, int?>? StatusFor;
    }

    public ConcurrentQueue<Received> Requests { get; } = new();

    private readonly ConcurrentDictionary<string, Behaviour> _behaviours = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public string Url(string hook) => $"{BaseUrl}/hook/{hook}";

    public Behaviour Hook(string hook) => _behaviours.GetOrAdd(hook, _ => new Behaviour());

    public IReadOnlyList<Received> For(string hook) => Requests.Where(r => r.Hook == hook).ToList();

    public IReadOnlyList<Received> DeliveredTo(string hook) => For(hook).Where(r => r.Status is >= 200 and < 300).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook/{hook}", async (string hook, HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var behaviour = receiver.Hook(hook);
            var status = behaviour.StatusFor?.Invoke(System.Text.Encoding.UTF8.GetString(buffer.ToArray())) ?? behaviour.Status;
            receiver.Requests.Enqueue(new Received(hook, http.Request.Headers["webhook-id"], http.Request.Headers["webhook-timestamp"],
                http.Request.Headers["webhook-signature"], buffer.ToArray(), status, DateTimeOffset.UtcNow, http.Request.Headers["traceparent"]));
            if (behaviour.Delay > TimeSpan.Zero) await Task.Delay(behaviour.Delay);
            if (behaviour.RetryAfterSeconds is { } seconds) http.Response.Headers.RetryAfter = seconds.ToString();
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

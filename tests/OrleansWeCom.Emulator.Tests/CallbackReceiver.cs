using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>A real Kestrel endpoint on loopback that records the callbacks it is posted, and can fail on demand.</summary>
internal sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonElement> _received = new();
    private int _failNext;

    private CallbackReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";
    public int Failures;
    public string? LastQueryToken { get; private set; }
    public string? LastContentType { get; private set; }

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.MapPost("/callbacks", async (HttpContext context) =>
        {
            if (Interlocked.Decrement(ref receiver._failNext) >= 0)
            {
                Interlocked.Increment(ref receiver.Failures);
                context.Response.StatusCode = 500;
                return;
            }

            receiver.LastQueryToken = context.Request.Query["token"];
            receiver.LastContentType = context.Request.ContentType;
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            receiver._received.Enqueue(document.RootElement.Clone());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/callbacks?token=t0k3n";
        return receiver;
    }

    public JsonElement[] All => [.. _received];

    public JsonElement[] OfType(string type) => All.Where(e => e.GetProperty("type").GetString() == type).ToArray();

    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> predicate, string what, int timeoutMs = 10_000)
    {
        JsonElement found = default;
        await Eventually.TrueAsync(() =>
        {
            foreach (var e in _received)
            {
                if (predicate(e))
                {
                    found = e;
                    return true;
                }
            }

            return false;
        }, what, timeoutMs);
        return found;
    }

    public Task<JsonElement> WaitForTypeAsync(string type, string? source = null, Func<JsonElement, bool>? also = null) =>
        WaitForAsync(
            e => e.GetProperty("type").GetString() == type && (source is null || e.GetProperty("source").GetString() == source) && (also?.Invoke(e) ?? true),
            $"a {type} callback");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal static class Eventually
{
    /// <summary>Polls a condition until it holds, failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(10);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Emulator;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// How many sends per second the container-host emulator serves over HTTP, callbacks included.
/// Usage: emulator [--accounts 200] [--clients 64] [--seconds 10] [--paced-seconds 5]
/// </summary>
public static class EmulatorBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var accounts = Arg(args, "--accounts", 200);
        var clients = Arg(args, "--clients", 64);
        var seconds = Arg(args, "--seconds", 10);
        var pacedSeconds = Arg(args, "--paced-seconds", 5);

        var receiver = await CountingReceiver.StartAsync();
        var options = new EmulatorOptions();
        options.Callbacks.Url = receiver.Url;
        options.World.AccountsPerCorp = 20;
        options.World.Corps = (accounts + 19) / 20;
        await using var emulator = await EmulatorHost.StartAsync(options, "http://127.0.0.1:0");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = emulator.BaseAddress };

        var logins = new List<(string WxId, string Conversation)>();
        foreach (var i in Enumerable.Range(0, accounts))
        {
            var created = await Json(http.PostAsJsonAsync("/gnapi/open/container/create", new { userId = "apps-" + (i % 5 + 1) }));
            var hostname = created.GetProperty("data").GetProperty("hostname").GetString();
            var scan = await Json(http.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false }));
            var wxId = scan.GetProperty("wxId").GetString()!;
            var contacts = await Json(http.GetAsync($"/gnapi/open/contact/external/list?wxId={wxId}"));
            logins.Add((wxId, contacts.GetProperty("data")[0].GetProperty("conversation_id").GetString()!));
        }

        Console.WriteLine($"emulator benchmark on {Environment.ProcessorCount} cores, .NET {Environment.Version}, loopback HTTP/1.1, {accounts} logged-in accounts in {options.World.Corps} corps");

        // Phase 1: the ceiling. Limits switched off so every send is accepted; the figure is the emulator's capacity.
        options.Limits.AccountSendInterval = TimeSpan.Zero;
        options.Limits.CorpSendsPerWindow = 0;
        var unpaced = await DriveAsync(http, logins, clients, TimeSpan.FromSeconds(seconds), pace: null, receiver);
        Console.WriteLine($"unpaced, limits disabled : {unpaced.Sends / unpaced.Elapsed.TotalSeconds,8:F0} sends/s over {unpaced.Elapsed.TotalSeconds:F1} s with {clients} clients; " +
            $"p50 {unpaced.P50:F2} ms, p99 {unpaced.P99:F2} ms; failed {unpaced.Failed}; callbacks delivered {unpaced.Callbacks / unpaced.Elapsed.TotalSeconds:F0}/s");

        // Phase 2: WeCom's limits on (500 ms, 50,000/h per corp), each account waiting 505 ms after each answer: all sends must succeed.
        options.Limits.AccountSendInterval = TimeSpan.FromMilliseconds(500);
        options.Limits.CorpSendsPerWindow = 50_000;
        await Task.Delay(600); // phase 1's last sends must not count against phase 2's first ones
        var paced = await DriveAsync(http, logins, logins.Count, TimeSpan.FromSeconds(pacedSeconds), pace: TimeSpan.FromMilliseconds(505), receiver);
        var frequencyErrors = receiver.FrequencyErrors;
        Console.WriteLine($"paced 505 ms, limits on  : {paced.Sends / paced.Elapsed.TotalSeconds,8:F0} sends/s over {paced.Elapsed.TotalSeconds:F1} s ({accounts} accounts, one send per account per 505 ms + latency); " +
            $"p50 {paced.P50:F2} ms, p99 {paced.P99:F2} ms; failed {paced.Failed}; -1000999 echoes {frequencyErrors}");

        await receiver.DisposeAsync();
        var ok = unpaced.Sends / unpaced.Elapsed.TotalSeconds >= 2000 && frequencyErrors == 0 && unpaced.Failed == 0 && paced.Failed == 0;
        Console.WriteLine(ok ? "target met: >= 2,000 sends/s, no refused paced send" : "target NOT met");
        return ok ? 0 : 1;
    }

    private sealed record Result(long Sends, long Failed, TimeSpan Elapsed, double P50, double P99, long Callbacks);

    private static async Task<Result> DriveAsync(HttpClient http, List<(string WxId, string Conversation)> logins, int clients, TimeSpan duration, TimeSpan? pace, CountingReceiver receiver)
    {
        long sends = 0, failed = 0, next = 0;
        var latencies = new List<double>[clients];
        var callbacksBefore = receiver.Count;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = [];
            while (watch.Elapsed < duration)
            {
                // Paced clients own one account each; unpaced clients take accounts round-robin.
                var login = pace is null ? logins[(int)(Interlocked.Increment(ref next) % logins.Count)] : logins[c];
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync("/gnapi/open/msg/text", new { wxId = login.WxId, conversationId = login.Conversation, content = "bench" });
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref sends : ref failed);
                if (pace is { } p)
                {
                    // Counted from the answer, not the request: the previous send has surely reached the host by then.
                    await Task.Delay(p);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(sends, failed, elapsed, Percentile(all, 0.5), Percentile(all, 0.99), receiver.Count - callbacksBefore);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p))];

    private static async Task<JsonElement> Json(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>())!;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>A callback endpoint that counts what it receives and notices refused sends.</summary>
    private sealed class CountingReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private long _count;
        private long _frequencyErrors;

        private CountingReceiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";
        public long Count => Interlocked.Read(ref _count);
        public long FrequencyErrors => Interlocked.Read(ref _frequencyErrors);

        public static async Task<CountingReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new CountingReceiver(app);
            app.MapPost("/callbacks", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                var body = await reader.ReadToEndAsync();
                Interlocked.Increment(ref receiver._count);
                if (body.Contains("-1000999", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref receiver._frequencyErrors);
                }
            });
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/callbacks";
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

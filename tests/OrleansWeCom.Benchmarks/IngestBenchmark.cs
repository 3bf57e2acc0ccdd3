using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// Callbacks per second end to end: posted over loopback, stored in the SQLite inbox before the 200, streamed to the
/// routers and applied (conversation state written, tenant event handed over, inbox row marked processed). The same
/// client then posts to a bare Kestrel endpoint that does nothing, for the ratio.
/// Usage: ingest [--callbacks 50000] [--warmup 20000] [--clients 64] [--containers 20] [--conversations 50] [--sync FULL|NORMAL] [--events log|none] [--flush-ms 5000 (the product's default)]
/// </summary>
public static class IngestBenchmark
{
    private const string HostKey = "bench-host";
    private const string Token = "bench-host-token";

    public static async Task<int> RunAsync(string[] args)
    {
        var total = Arg(args, "--callbacks", 50_000);
        var clients = Arg(args, "--clients", 64);
        var containers = Arg(args, "--containers", 20);
        var conversations = Arg(args, "--conversations", 50);
        var sync = Text(args, "--sync", "FULL");
        var events = Text(args, "--events", "log");
        var flush = TimeSpan.FromMilliseconds(Arg(args, "--flush-ms", (int)new CallbackGrainOptions().FlushInterval.TotalMilliseconds));
        var file = Path.Combine(Path.GetTempPath(), $"wecom-ingest-{Guid.NewGuid():N}.db");

        var publisher = new CountingPublisher();
        await using var app = await StartSiloAsync(file, publisher, sync, flush, events);
        await using var bare = await StartBareAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var inbox = app.Services.GetRequiredService<CallbackInbox>();
        for (var c = 0; c < containers; c++)
        {
            await grains.GetGrain<ITenantGrain>("bench").CreateAsync("bench");
            await grains.GetGrain<IContainerGrain>(Container(c)).InitializeAsync(new TenantId("bench"), "apps-1", HostKey, "/qr.png", "1.0", 1, "2024-01-01 00:00:00");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        var ingestUrl = $"{Address(app)}/callbacks/{HostKey}?token={Token}";
        var bareUrl = $"{Address(bare)}/bare/{HostKey}?token={Token}";

        var warmup = Bodies(Arg(args, "--warmup", 20_000), containers, conversations, seed: 1);
        await PostAllAsync(http, ingestUrl, warmup, clients);
        await WaitAppliedAsync(inbox, publisher, Stopwatch.GetTimestamp(), warmup.Count, warmup.Count, TimeSpan.FromMinutes(2));
        await PostAllAsync(http, bareUrl, warmup, clients);

        var bodies = Bodies(total, containers, conversations, seed: 2);
        var markedBefore = inbox.Stats.Marked;
        var publishedBefore = publisher.Count;
        var (cpu0, allocated0, gcs0, io0) = (Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), EventLogBenchmark.ProcessIo.Read());
        var start = Stopwatch.GetTimestamp();
        var ingest = await PostAllAsync(http, ingestUrl, bodies, clients);
        var acknowledged = Stopwatch.GetElapsedTime(start);
        var (appliedAt, markedAt) = await WaitAppliedAsync(inbox, publisher, start, markedBefore + total, publishedBefore + total, TimeSpan.FromMinutes(5));
        var applied = appliedAt is not null && markedAt is not null;
        var endToEnd = appliedAt ?? Stopwatch.GetElapsedTime(start);
        var (cpu1, allocated1, gcs1, io1) = (Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), GC.CollectionCount(0), EventLogBenchmark.ProcessIo.Read());
        var bareRun = await PostAllAsync(http, bareUrl, bodies, clients);

        var e2eRate = total / endToEnd.TotalSeconds;
        var bareRate = total / bareRun.Elapsed.TotalSeconds;
        var stats = inbox.Stats;
        Console.WriteLine($"ingest benchmark on {Environment.ProcessorCount} cores, .NET {Environment.Version} ({(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC), loopback HTTP/1.1, {clients} concurrent clients, " +
            $"{total} text_msg callbacks over {containers} containers x {conversations} conversations, inbox SQLite synchronous={sync}, grain state SQLite, conversation write-behind {flush.TotalMilliseconds} ms, " +
            (events == "log" ? "tenant events stored in the SQLite event log" : "tenant events counted, not stored"));
        Console.WriteLine($"acknowledged (durable)  : {total / acknowledged.TotalSeconds,8:F0} callbacks/s in {acknowledged.TotalSeconds:F2} s; failed {ingest.Failed}; " +
            $"{stats.Transactions} inbox transactions so far ({(double)stats.Stored / Math.Max(1, stats.Transactions):F0} callbacks per commit on average)");
        Console.WriteLine($"end to end (applied)    : {e2eRate,8:F0} callbacks/s in {endToEnd.TotalSeconds:F2} s (streamed, applied by the grains, tenant event handed over){(applied ? "" : " (TIMED OUT before all were applied)")}");
        Console.WriteLine($"inbox rows marked       : after {(markedAt ?? Stopwatch.GetElapsedTime(start)).TotalSeconds:F2} s (conversation state written behind, then the rows marked processed)");
        Console.WriteLine($"ingest latency          : p50 {ingest.P50:F2} ms, p99 {ingest.P99:F2} ms");
        Console.WriteLine($"cost per callback       : {(cpu1 - cpu0).TotalMilliseconds * 1000 / total:F0} µs CPU, {(allocated1 - allocated0) / total / 1024.0:F1} KiB allocated " +
            $"({gcs1 - gcs0} gen0 collections), this whole process: client, Kestrel and silo, until applied and marked");
        // Counted by the kernel per call, so they compare builds even on a busy machine (the HTTP traffic goes through send and recv, not counted here).
        Console.WriteLine($"file I/O per callback   : {(double)(io1.WriteCalls - io0.WriteCalls) / total:F1} write and {(double)(io1.ReadCalls - io0.ReadCalls) / total:F1} read system calls, " +
            $"{(double)(io1.WrittenBytes - io0.WrittenBytes) / total / 1024:F1} KiB handed to the writes (inbox, event log, grain state and their checkpoints)");
        Console.WriteLine($"bare Kestrel, same client: {bareRate,8:F0} requests/s; p50 {bareRun.P50:F2} ms, p99 {bareRun.P99:F2} ms");
        Console.WriteLine($"ratio end to end / bare : {e2eRate / bareRate:F3}");
        await app.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        OrleansWeCom.Testing.TestSettings.DeleteDatabase(file);

        return applied && ingest.Failed == 0 ? 0 : 1;
    }

    private static async Task<WebApplication> StartSiloAsync(string file, CountingPublisher publisher, string sync, TimeSpan flush, string events)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        // Wired as the host wires it: the inbox, the event log and grain state in their SQLite files.
        var config = OrleansWeCom.Testing.TestSettings.For(file, "ingest-bench");
        config[$"Callbacks:HostTokens:{HostKey}"] = Token;
        config["Callbacks:SqliteSynchronous"] = sync;
        config["Conversations:FlushInterval"] = flush.ToString();
        builder.Configuration.AddInMemoryCollection(config);
        builder.AddWeComSilo();
        builder.AddWeComGateway();
        if (events == "log")
        {
            builder.Services.AddSingleton<ITenantEventPublisher>(sp =>
            {
                publisher.Inner = ActivatorUtilities.CreateInstance<TenantEventPublisher>(sp);
                return publisher;
            });
        }
        else
        {
            builder.Services.AddSingleton<ITenantEventPublisher>(publisher);
        }

        builder.Services.AddSingleton<IContainerHosts, IdleContainerHosts>();
        var app = builder.Build();
        app.MapWeCom();
        await app.StartAsync();
        return app;
    }

    private static async Task<WebApplication> StartBareAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/bare/{hostName}", () => Results.Ok());
        await app.StartAsync();
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();

    private static string Container(int i) => $"benchc{i:D4}";

    private static List<byte[]> Bodies(int count, int containers, int conversations, int seed)
    {
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var c = i % containers;
            var account = $"16888543552{c:D5}";
            var customer = $"78813008390{(i / containers) % conversations:D5}";
            list.Add(Encoding.UTF8.GetBytes(new JsonObject
            {
                ["msgId"] = Guid.NewGuid().ToString(),
                ["source"] = Container(c),
                ["userId"] = "apps-1",
                ["wxid"] = account,
                ["timestamp"] = 1686708147954 + i,
                ["type"] = "text_msg",
                ["data"] = new JsonObject
                {
                    ["appinfo"] = "5079167612398453673",
                    ["at_list"] = new JsonArray(),
                    ["content"] = $"message {seed}-{i}",
                    ["content_type"] = 2,
                    ["conversation_id"] = $"S:{account}_{customer}",
                    ["is_pc"] = 0,
                    ["local_id"] = "1363",
                    ["receiver"] = account,
                    ["send_time"] = "1686708146",
                    ["sender"] = customer,
                    ["sender_name"] = "左脚",
                    ["server_id"] = $"{seed}{i:D9}",
                },
                ["sendMsgId"] = null,
            }.ToJsonString()));
        }

        return list;
    }

    private sealed record Run(TimeSpan Elapsed, double P50, double P99, int Failed);

    private static async Task<Run> PostAllAsync(HttpClient http, string url, IReadOnlyList<byte[]> bodies, int clients)
    {
        var latencies = new double[bodies.Count];
        var next = -1;
        var failed = 0;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(bodies[i]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(url, content);
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref failed);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start);
        Array.Sort(latencies);
        return new Run(elapsed, latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], failed);
    }

    /// <summary>Waits until <paramref name="published"/> events were handed to the tenant side and <paramref name="marked"/> inbox rows marked; returns when each happened.</summary>
    private static async Task<(TimeSpan? Applied, TimeSpan? Marked)> WaitAppliedAsync(CallbackInbox inbox, CountingPublisher publisher, long start, long marked, long published, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TimeSpan? applied = null, done = null;
        while (applied is null || done is null)
        {
            if (applied is null && publisher.Count >= published) applied = Stopwatch.GetElapsedTime(start);
            if (done is null && inbox.Stats.Marked >= marked) done = Stopwatch.GetElapsedTime(start);
            if (Stopwatch.GetTimestamp() > deadline) break;
            await Task.Delay(2);
        }

        return (applied, done);
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    private static string Text(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }



    /// <summary>
    /// The tenant boundary: counts what ingestion hands over once the product's publisher (the durable event log,
    /// then the webhook wake-up) has taken it, or at once with <c>--events none</c>.
    /// </summary>
    private sealed class CountingPublisher : ITenantEventPublisher
    {
        private long _count;
        public long Count => Interlocked.Read(ref _count);
        public ITenantEventPublisher? Inner { get; set; }

        public async Task PublishAsync(TenantEvent tenantEvent)
        {
            if (Inner is not null) await Inner.PublishAsync(tenantEvent);
            if (tenantEvent.Type is not (TenantEventTypes.AccountStateChanged or TenantEventTypes.AccountAlert)) Interlocked.Increment(ref _count);
        }
    }

    private sealed class IdleContainerHosts : IContainerHosts
    {
        public Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken) => Task.FromResult(HostKey);
        public Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.FromResult<HostContainerStatus?>(null);
        public Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<HostContainerMemory>>([]);
        public Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

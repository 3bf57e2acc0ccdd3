using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 2: no tenant request makes the silo hold more than a bounded amount of memory.</summary>
public sealed class MemoryBoundsTests(MemoryBoundsTests.Running running) : IClassFixture<MemoryBoundsTests.Running>
{
    // SendRequestParser's caps, spelled out so that the test states them.
    private const int MaxTextChars = 4000;
    private const int MaxSendBodyChars = 64 * 1024;
    private const int MaxQueuedBytesPerAccount = 256 * 1024;

    /// <summary>One host for the tests that measure no memory; each test has a tenant and a logged-in account of its own.</summary>
    public sealed class Running : IAsyncLifetime
    {
        private int _tests;

        private CallbackTestHost Host { get; set; } = null!;

        public async Task<(HttpClient Tenant, string WxId)> TenantAsync()
        {
            var n = Interlocked.Increment(ref _tests);
            var wxId = $"168885435528{n:D4}";
            var tenant = await Hardening.TenantAsync(Host, $"t{n}");
            await LoginAsync(Host, $"t{n}", $"c-{n}", wxId);
            return (tenant, wxId);
        }

        public async Task InitializeAsync() => Host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["WeCom:Limits:MaxQueuedBytesPerAccount"] = MaxQueuedBytesPerAccount.ToString(),
        });

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    [Fact]
    public async Task Finding2_a_text_over_its_cap_answers_413_in_the_envelope()
    {
        var (tenant, wxId) = await running.TenantAsync();
        var (status, body) = await PostAsync(tenant, "msg/text", Text(wxId, new string('a', MaxTextChars + 1)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(ErrorCodes.PayloadTooLarge, body.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("data").ValueKind);
        var (ok, _) = await PostAsync(tenant, "msg/text", Text(wxId, new string('a', MaxTextChars)));
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Finding2_an_accounts_unsettled_bytes_are_bounded_and_answer_429()
    {
        var (tenant, wxId) = await running.TenantAsync();
        object Link(int i) => new { wxId, conversationId = $"S:{wxId}_{SeedCallbacks.Customer}", title = i + new string('t', 30_000), url = "https://example.com" };
        // Each body holds about 30,000 characters, 60 KB as kept: four fit under 256 KB, the fifth does not.
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.OK, (await PostAsync(tenant, "msg/link", Link(i))).Status);
        var (status, body) = await PostAsync(tenant, "msg/link", Link(4));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(ErrorCodes.QueueFull, body.GetProperty("code").GetInt32());
        Assert.Contains("bytes", body.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Finding2_a_send_body_over_its_cap_answers_413()
    {
        var (tenant, wxId) = await running.TenantAsync();
        var huge = new { wxId, conversationId = $"S:{wxId}_{SeedCallbacks.Customer}", title = "t", url = "https://example.com", extra = new string('x', MaxSendBodyChars) };
        var (status, body) = await PostAsync(tenant, "msg/link", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(ErrorCodes.PayloadTooLarge, body.GetProperty("code").GetInt32());
    }
}

/// <summary>Finding 2, measured on the process: its allocations and resident memory, so these run alone.</summary>
[Collection(MemoryMeasurements.Name)]
public sealed class MemoryMeasurementTests
{
    private const string W = "1688854355260001";

    /// <summary>A container host that refuses every send.</summary>
    private sealed class RefusingSender : IContainerHostSender
    {
        public Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken) =>
            throw new WeComException(ErrorCodes.HostError, "refused by the host");
    }

    private static async Task<(CallbackTestHost Host, HttpClient Tenant)> StartAsync(IContainerHostSender? sender = null)
    {
        var host = await CallbackTestHost.StartAsync(sender: sender);
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);
        return (host, tenant);
    }

    [Fact]
    public async Task Finding2_a_chunked_body_far_over_the_limit_is_refused_while_it_is_read()
    {
        var (host, tenant) = await StartAsync();
        await using var _ = host;
        var key = tenant.DefaultRequestHeaders.GetValues(TenantAuthenticator.HeaderName).Single();
        var address = host.Http.BaseAddress!;
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        var head = $"POST /gnapi/open/msg/text HTTP/1.1\r\nHost: {address.Authority}\r\napikey: {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        // 64 MB offered in 64 KB chunks, one buffer reused, while the answer is read beside the writes.
        var answer = ReadStatusLineAsync(stream);
        var chunk = Encoding.ASCII.GetBytes($"{64 * 1024:x}\r\n" + new string('a', 64 * 1024) + "\r\n");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long offered = 0;
        try
        {
            while (offered < 64L * 1024 * 1024 && !answer.IsCompleted)
            {
                await stream.WriteAsync(chunk);
                offered += 64 * 1024;
            }
        }
        catch (IOException)
        {
            // The server closed the connection after answering.
        }

        var status = await answer.WaitAsync(TimeSpan.FromSeconds(30));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.StartsWith("HTTP/1.1 413", status);
        Assert.True(allocated < 16L * 1024 * 1024, $"{allocated / 1024 / 1024} MB allocated while {offered / 1024 / 1024} MB were offered");
    }

    private static async Task<string> ReadStatusLineAsync(NetworkStream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (await stream.ReadAsync(one) == 1 && one[0] != '\n') line.Append((char)one[0]);
        return line.ToString().TrimEnd('\r');
    }

    [Fact]
    public async Task Finding2_200_sends_of_900_KB_to_a_refusing_host_raise_the_silos_memory_by_less_than_50_MB()
    {
        var (host, tenant) = await StartAsync(sender: new RefusingSender());
        await using var _ = host;
        var json = JsonSerializer.SerializeToUtf8Bytes(Text(W, new string('a', 900 * 1024)));
        async Task<HttpStatusCode> PostOnceAsync()
        {
            using var content = new ByteArrayContent(json);
            content.Headers.ContentType = new("application/json");
            using var response = await tenant.PostAsync("/gnapi/open/msg/text", content);
            return response.StatusCode;
        }

        // The silo runs in this process: its memory is the process's resident set (managed heap, native buffers, Kestrel's
        // and SQLite's pools). A few requests first, so that what every first request allocates (JIT, pools) is not counted.
        for (var i = 0; i < 5; i++) await PostOnceAsync();
        var before = ResidentAfterCollection();
        var statuses = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 200; i++)
        {
            var status = await PostOnceAsync();
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }

        var grown = ResidentAfterCollection() - before;
        Assert.True(statuses.Keys.All(s => s == HttpStatusCode.RequestEntityTooLarge), string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}")));
        // The test's own share (its client and the 900 KB body it reuses) was allocated before the first measurement.
        Assert.True(grown < 50L * 1024 * 1024, $"the process's resident memory grew by {grown / 1024 / 1024} MB");
        Assert.Equal(0, await host.Grains.GetGrain<IAccountGrain>(W).GetQueueLengthAsync());
    }

    /// <summary>The process's resident set after a full, compacting collection (large objects included) has run its finalizers.</summary>
    private static long ResidentAfterCollection()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}

/// <summary>Tests that measure the process's memory run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurements
{
    public const string Name = "memory measurements";
}

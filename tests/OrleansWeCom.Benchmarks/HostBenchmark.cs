using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using OrleansWeCom.Emulator;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// The product as deployed on one machine: the host executable as its own process (Release build, SQLite), an
/// emulator in this process as the container host. `login` brings N accounts online; `send` then drives a backlog
/// through them and checks WeCom's limits at the emulator.
/// </summary>
public static class HostBenchmark
{
    private const string ApiKey = "bench-demo-key-0123456789";
    private const string AdminKey = "bench-admin-key-0123456789";

    public static async Task<int> RunLoginAsync(string[] args)
    {
        var n = Arg(args, "--accounts", 2000);
        await using var run = await Run.StartAsync(n, corps: Math.Max(1, n / 100), budget: 50_000, window: TimeSpan.FromHours(1));
        var before = await run.StatsAsync();
        var watch = Stopwatch.StartNew();
        await run.LoginAllAsync(n, concurrency: Arg(args, "--concurrency", 32));
        var elapsed = watch.Elapsed;
        var after = await run.StatsAsync();
        var calls = after.GetProperty("grainCalls").GetInt64() - before.GetProperty("grainCalls").GetInt64();
        var accountGrains = after.GetProperty("activations").EnumerateObject().Where(p => p.Name.Contains("AccountGrain")).Sum(p => p.Value.GetInt32());
        var managed = after.GetProperty("managedBytes").GetInt64() - before.GetProperty("managedBytes").GetInt64();
        Console.WriteLine($"login: {n} accounts online in {elapsed.TotalSeconds:F1} s ({n / elapsed.TotalSeconds:F0} accounts/s), concurrency {Arg(args, "--concurrency", 32)}");
        Console.WriteLine($"  active account grains: {accountGrains}; managed heap growth {managed / 1024.0 / 1024:F1} MiB = {managed / Math.Max(1, n) / 1024.0:F1} KiB per logged-in account (account + container grains, caches)");
        Console.WriteLine($"  grain calls: {calls} in {elapsed.TotalSeconds:F1} s = {calls / elapsed.TotalSeconds:F0} calls/s ({(double)calls / n:F1} per login)");
        Console.WriteLine($"  conditions: host process (Release, SQLite WAL), emulator in the benchmark process, {Environment.ProcessorCount} cores");
        return 0;
    }

    public static async Task<int> RunSendAsync(string[] args)
    {
        var n = Arg(args, "--accounts", 1000);
        var m = Arg(args, "--corps", 10);
        var backlog = Arg(args, "--backlog", 60);
        var budget = Arg(args, "--budget", 50_000);
        var window = TimeSpan.FromSeconds(Arg(args, "--window-seconds", 3600));
        var warmup = Arg(args, "--warmup", 10);
        await using var run = await Run.StartAsync(n, m, budget, window);
        var accounts = await run.LoginAllAsync(n, 32);

        // A warm-up round first, as a silo that has run for a while would be: the JIT compiles (and recompiles with
        // its profile) the send and echo paths during their first thousands of messages, and that CPU is not what
        // the machine spends once running. Its sends are left out of every figure below.
        if (warmup > 0)
        {
            var warming = Stopwatch.StartNew();
            await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (a, ct) =>
            {
                for (var i = 0; i < warmup; i++) await run.SendAsync(a, $"w{i}");
            });
            for (var wait = 0; wait < 600 && await run.DeliveredAsync() < n * warmup; wait++) await Task.Delay(1000);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Console.WriteLine($"warm-up: {n * warmup} messages sent and echoed in {warming.Elapsed.TotalSeconds:F1} s (not counted below)");
        }

        var warmedUp = n * warmup;

        // Accept a backlog for every account as fast as the tenant API takes it, and let the accounts drain it.
        var (hostCpu0, selfCpu0) = run.Cpu();
        var fill = Stopwatch.StartNew();
        await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (a, ct) =>
        {
            for (var i = 0; i < backlog; i++) await run.SendAsync(a, $"b{i}");
        });
        var acceptRate = n * backlog / fill.Elapsed.TotalSeconds;
        var filledAt = DateTimeOffset.UtcNow;
        var (hostCpuFilled, selfCpuFilled) = run.Cpu();
        var deliveredWhileFilling = await run.DeliveredAsync() - warmedUp;
        Console.WriteLine($"send: accepted {n * backlog} messages for {n} accounts in {fill.Elapsed.TotalSeconds:F1} s ({acceptRate:F0}/s through the tenant API)");

        // Waiting polls one total: reading every account's log each second would compete with the run for the CPU.
        for (var wait = 0; wait < 600 && await run.DeliveredAsync() < warmedUp + n * backlog; wait++) await Task.Delay(1000);
        var (hostCpu1, selfCpu1) = run.Cpu();
        var sent = new List<(string Corp, string WxId, DateTimeOffset At, int Error)>();
        var warmupFrequencyErrors = 0;
        foreach (var a in accounts)
            foreach (var s in await run.SentAsync(a.HostName))
                if (s.GetProperty("content").GetString() is { } content && content.StartsWith('w'))
                    warmupFrequencyErrors += s.GetProperty("errorCode").GetInt32() == -1000999 ? 1 : 0;
                else
                    sent.Add((a.Corp, a.WxId, DateTimeOffset.Parse(s.GetProperty("receivedAt").GetString()!), s.GetProperty("errorCode").GetInt32()));

        var ok = sent.Where(s => s.Error == 0).OrderBy(s => s.At).ToList();
        var span = ok.Count > 1 ? (ok[^1].At - ok[0].At).TotalSeconds : 1;
        var rate = ok.Count / span;
        // A corp's budget only binds once the run sends more than it within one window.
        var budgetRate = m * (double)budget / Math.Max(span, window.TotalSeconds) * (span < window.TotalSeconds ? window.TotalSeconds / span : 1);
        var limit = Math.Min(2.0 * n, budgetRate);
        var gaps = Gaps(ok).Order().ToList();
        var overshoot = ok.GroupBy(s => s.Corp).Max(g => MaxInWindow(g.Select(s => s.At).ToList(), window)) - budget;
        Console.WriteLine($"  sends/s at the host {rate:F0} ({ok.Count} sends from first to last, {span:F1} s); limit {limit:F0} (min of 2·N = {2 * n} and the corp budgets); ratio {rate / limit:F3}");
        Console.WriteLine($"  interval per account: min {gaps.FirstOrDefault():F1} ms, mean {gaps.DefaultIfEmpty().Average():F1} ms, p99 {Percentile(gaps, 0.99):F1} ms ({gaps.Count} gaps)");
        // Steady state: the stretch in which every account still had a backlog (from the last account's first send to
        // the first account's last send), free of the fill's ramp and the drain's tail.
        var perAccount = ok.GroupBy(s => s.WxId).Select(g => (First: g.Min(s => s.At), Last: g.Max(s => s.At))).ToList();
        var (from, to) = (perAccount.Max(a => a.First), perAccount.Min(a => a.Last));
        // A stretch shorter than two seconds holds too few sends per account to give a rate.
        if (to - from > TimeSpan.FromSeconds(2))
        {
            var steady = ok.Count(s => s.At >= from && s.At < to) / (to - from).TotalSeconds;
            Console.WriteLine($"  steady state (every account backlogged, {(to - from).TotalSeconds:F1} s): {steady:F0} sends/s, ratio {steady / limit:F3}");
        }
        else
        {
            Console.WriteLine("  steady state: under 2 s (the fill was barely faster than the drain: a larger --backlog gives it room)");
        }

        // The same stretch once the fill has ended: sending alone, without the tenant API's accepts beside it. (In a
        // real steady state messages are accepted as fast as they leave, so the truth lies between the two lines.)
        var quietFrom = from > filledAt ? from : filledAt;
        if (to - quietFrom > TimeSpan.FromSeconds(2))
        {
            var quiet = ok.Count(s => s.At >= quietFrom && s.At < to) / (to - quietFrom).TotalSeconds;
            var quietGaps = Gaps(ok.Where(s => s.At >= quietFrom && s.At < to)).DefaultIfEmpty().Average();
            Console.WriteLine($"  after the fill, every account backlogged ({(to - quietFrom).TotalSeconds:F1} s): {quiet:F0} sends/s, ratio {quiet / limit:F3}, mean interval {quietGaps:F1} ms");
        }
        else
        {
            Console.WriteLine("  after the fill, every account backlogged: under 2 s (a larger --backlog gives this stretch room)");
        }

        var sends = n * backlog;
        Console.WriteLine($"  CPU per accepted+sent message: host process {(hostCpu1 - hostCpu0).TotalMilliseconds / sends:F2} ms, emulator+client process {(selfCpu1 - selfCpu0).TotalMilliseconds / sends:F2} ms");
        // After the fill the host only sends: its CPU per message then is what sending alone costs.
        var drained = Math.Max(1, sends - deliveredWhileFilling);
        Console.WriteLine($"  CPU per message sent after the fill ({drained} messages): host process {(hostCpu1 - hostCpuFilled).TotalMilliseconds / drained:F2} ms, emulator+client process {(selfCpu1 - selfCpuFilled).TotalMilliseconds / drained:F2} ms");
        Console.WriteLine($"  frequency errors (-1000999): {sent.Count(s => s.Error == -1000999)} (in the warm-up: {warmupFrequencyErrors}); budget overshoot (worst rolling window minus budget, ≤0 is none): {overshoot}");
        Console.WriteLine($"  conditions: {n} accounts in {m} corps, backlog {backlog} each after a warm-up of {warmup} each, host process (Release, SQLite WAL), emulator in the benchmark process, {Environment.ProcessorCount} cores");
        return 0;
    }

    /// <summary>The intervals between successive sends of each account, in milliseconds.</summary>
    private static IEnumerable<double> Gaps(IEnumerable<(string Corp, string WxId, DateTimeOffset At, int Error)> sends) =>
        sends.GroupBy(s => s.WxId)
            .SelectMany(g => g.Select(s => s.At).ToList() is var t ? t.Zip(t.Skip(1), (x, y) => (y - x).TotalMilliseconds) : []);

    private static int MaxInWindow(List<DateTimeOffset> times, TimeSpan window)
    {
        var best = 0;
        for (int i = 0, j = 0; i < times.Count; i++)
        {
            while (times[i] - times[j] >= window) j++;
            best = Math.Max(best, i - j + 1);
        }

        return best;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }

    internal sealed record Account(string HostName, string WxId, string Corp, string To);

    private sealed class Run : IAsyncDisposable
    {
        private readonly EmulatorHost _emulator;
        private readonly Process _host;
        private readonly HttpClient _api;
        private readonly HttpClient _world;
        private readonly string _data;

        private Run(EmulatorHost emulator, Process host, HttpClient api, string data)
        {
            _emulator = emulator;
            _host = host;
            _api = api;
            _data = data;
            _world = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        }

        public static async Task<Run> StartAsync(int accounts, int corps, int budget, TimeSpan window)
        {
            var options = new EmulatorOptions();
            options.Capacity = accounts * 2;
            options.World.Corps = corps;
            options.World.AccountsPerCorp = (accounts + corps - 1) / corps;
            options.World.ContactsPerAccount = 2;
            options.World.CustomersPerCorp = 20;
            options.Limits.CorpSendsPerWindow = budget;
            options.Limits.CorpWindow = window;
            var emulator = await EmulatorHost.StartAsync(options, "http://127.0.0.1:0");
            var port = FreePort();
            var data = Path.Combine(Path.GetTempPath(), "wecom-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(data);
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data };
            info.ArgumentList.Add(HostDll());
            foreach (var arg in new[]
            {
                "--urls", $"http://127.0.0.1:{port}", "--Emulator:Enabled=false", "--ContainerHosts:Hosts:0:Name=emu",
                $"--ContainerHosts:Hosts:0:BaseUrl={emulator.BaseAddress.ToString().TrimEnd('/')}", "--ContainerHosts:Hosts:0:ApiKey=x",
                $"--ContainerHosts:Hosts:0:Capacity={accounts * 2}", "--Callbacks:HostTokens:emu=bench-token-123", "--Mqtt:Enabled=false",
                $"--Orleans:SiloPort={FreePort()}", $"--Orleans:GatewayPort={FreePort()}", "--Logging:LogLevel:Default=Warning",
                $"--WeCom:Limits:CorpSendsPerWindow={budget}", $"--WeCom:Limits:CorpWindow={window}",
                // One demo tenant carries every account and send: the per-tenant quotas would measure themselves.
                "--Gateway:Quotas:RequestsPerSecond=0", "--Gateway:Quotas:ContainersPerTenant=0",
            }) info.ArgumentList.Add(arg);
            info.Environment["WECOM_DEMO_APIKEY"] = ApiKey;
            info.Environment["WECOM_ADMIN_KEY"] = AdminKey;
            var host = Process.Start(info)!;
            host.OutputDataReceived += (_, _) => { };
            host.ErrorDataReceived += (_, e) => { if (e.Data is { } line && line.Contains("fail")) Console.Error.WriteLine(line); };
            host.BeginOutputReadLine();
            host.BeginErrorReadLine();
            var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            api.DefaultRequestHeaders.Add("apikey", ApiKey);
            emulator.SetCallbacks($"http://127.0.0.1:{port}/callbacks/emu?token=bench-token-123", 0);
            for (var i = 0; i < 300; i++)
            {
                try
                {
                    if ((await api.GetAsync("/gnapi/open/inner/user/list")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(200);
            }

            return new Run(emulator, host, api, data);
        }

        public async Task<List<Account>> LoginAllAsync(int n, int concurrency)
        {
            var world = await _world.GetFromJsonAsync<JsonElement>("/emulator/world");
            var free = world.GetProperty("corps").EnumerateArray()
                .SelectMany(c => c.GetProperty("accounts").EnumerateArray().Select(a => (Corp: c.GetProperty("corpId").GetString()!, WxId: a.GetProperty("wxId").GetString()!,
                    To: a.GetProperty("externalContacts")[0].GetString()!)))
                .Take(n).ToList();
            var result = new System.Collections.Concurrent.ConcurrentBag<Account>();
            await Parallel.ForEachAsync(free, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (a, ct) =>
            {
                var created = await _api.PostAsJsonAsync("/gnapi/open/container/create", new { userId = "apps-1" }, ct);
                var hostname = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("data").GetProperty("hostname").GetString()!;
                (await _world.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false, wxId = a.WxId, corpId = a.Corp }, ct)).EnsureSuccessStatusCode();
                result.Add(new Account(hostname, a.WxId, a.Corp, a.To));
            });

            // Online as the tenant sees it.
            for (var i = 0; i < 600; i++)
            {
                var list = await _api.GetFromJsonAsync<JsonElement>("/gnapi/open/inner/user/wx/list");
                if (list.GetProperty("data").GetArrayLength() >= n) break;
                await Task.Delay(100);
            }

            return result.ToList();
        }

        public async Task SendAsync(Account a, string content)
        {
            var conversation = ConversationId.Single(new WxId(a.WxId), new WxId(a.To)).Value;
            for (var attempt = 0; ; attempt++)
            {
                using var response = await _api.PostAsJsonAsync("/gnapi/open/msg/text", new { wxId = a.WxId, conversationId = conversation, content });
                if (response.IsSuccessStatusCode) return;
                // The account may be a moment behind its container's login.
                if (attempt > 50 || response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Conflict))
                    throw new HttpRequestException($"send answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                await Task.Delay(100);
            }
        }

        public (TimeSpan Host, TimeSpan Self) Cpu()
        {
            _host.Refresh();
            return (_host.TotalProcessorTime, Process.GetCurrentProcess().TotalProcessorTime);
        }

        public async Task<List<JsonElement>> SentAsync(string hostname) =>
            (await _world.GetFromJsonAsync<JsonElement>($"/emulator/containers/{hostname}/sent")).EnumerateArray().ToList();

        public async Task<long> DeliveredAsync() =>
            (await _world.GetFromJsonAsync<JsonElement>("/emulator/sent/totals")).GetProperty("delivered").GetInt64();

        public async Task<JsonElement> StatsAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats?collect=true");
            request.Headers.Add("apikey", AdminKey);
            using var response = await _api.SendAsync(request);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_host.HasExited) _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
            _api.Dispose();
            _world.Dispose();
            await _emulator.DisposeAsync();
            // The host's databases: a run leaves nothing behind.
            Directory.Delete(_data, recursive: true);
        }

        private static int FreePort() => OrleansWeCom.Testing.TestPorts.Next();

        /// <summary>The Release build of this tree, or the one <c>WECOM_BENCH_HOST_DLL</c> names (to compare two builds on one machine).</summary>
        private static string HostDll()
        {
            if (Environment.GetEnvironmentVariable("WECOM_BENCH_HOST_DLL") is { Length: > 0 } other) return other;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansWeCom.sln"))) dir = dir.Parent;
            var dll = Path.Combine(dir!.FullName, "src", "OrleansWeCom.Host", "bin", "Release", "net10.0", "OrleansWeCom.Host.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("build the host in Release first: dotnet build -c Release src/OrleansWeCom.Host", dll);
        }
    }
}

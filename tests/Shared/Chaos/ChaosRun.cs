using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansWeCom.Testing.Chaos;

/// <summary>A logged-in account of the run and the two conversations its load uses.</summary>
public sealed record ChaosAccount(int Index, string HostName, string WxId, string Corp, string[] Conversations);

/// <summary>A send the tenant API accepted: its content is the marker the host's log is matched by.</summary>
public sealed record AcceptedSend(string Content, string MsgId, int Account, DateTimeOffset At);

/// <summary>A fault the run caused: a kill -9 or a graceful stop of one silo, and when it was back.</summary>
public sealed record ChaosFault(int Silo, bool Graceful, DateTimeOffset At, DateTimeOffset Restarted);

/// <summary>
/// Drives a chaos cluster: logs accounts in, keeps sends queued and inbound messages flowing, kills silos (and restarts
/// them in turn gracefully), waits for the work to drain, then reads the emulator's and the database's records.
/// </summary>
public sealed class ChaosRun(ChaosCluster cluster)
{
    private readonly ChaosOptions _options = cluster.Options;
    private readonly ConcurrentDictionary<string, AcceptedSend> _accepted = new();
    private long _inboundPosted;
    private long _sendRefusals;

    public List<ChaosAccount> Accounts { get; } = [];
    public List<ChaosFault> Faults { get; } = [];
    public IReadOnlyDictionary<string, AcceptedSend> Accepted => _accepted;
    public long InboundPosted => Interlocked.Read(ref _inboundPosted);
    public long SendRefusals => Interlocked.Read(ref _sendRefusals);
    public TimeSpan Elapsed { get; private set; }

    public async Task<ChaosReport> ExecuteAsync()
    {
        var watch = Stopwatch.StartNew();
        await LoginAsync();
        _options.Log($"{Accounts.Count} accounts online in {watch.Elapsed.TotalSeconds:F1} s");

        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Accounts.Select(a => SendLoopAsync(a, stop.Token)).Append(InboundLoopAsync(stop.Token)));
        await Task.Delay(TimeSpan.FromSeconds(3));
        for (var cycle = 0; cycle < _options.Kills; cycle++)
        {
            await Task.Delay(_options.Between);
            var silo = cluster.Silos[cycle % cluster.Silos.Count];
            var at = DateTimeOffset.UtcNow;
            await silo.KillAsync();
            await Task.Delay(_options.Down);
            var phases = await RestartAsync(silo, at);
            Faults.Add(new ChaosFault(silo.Index, false, at, DateTimeOffset.UtcNow));
            _options.Log($"kill -9 #{cycle + 1}: silo {silo.Index} killed, back after {(DateTimeOffset.UtcNow - at).TotalSeconds:F1} s ({phases}); accepted sends {_accepted.Count}, callbacks acknowledged {cluster.Balancer.Acked.Count}");
        }

        if (_options.RollingRestart)
        {
            foreach (var silo in cluster.Silos)
            {
                await Task.Delay(_options.Between / 2);
                var at = DateTimeOffset.UtcNow;
                await silo.StopAsync(TimeSpan.FromSeconds(30));
                var phases = await RestartAsync(silo, at);
                Faults.Add(new ChaosFault(silo.Index, true, at, DateTimeOffset.UtcNow));
                _options.Log($"rolling restart: silo {silo.Index} stopped and back after {(DateTimeOffset.UtcNow - at).TotalSeconds:F1} s ({phases})");
            }
        }

        while (_accepted.Count < _options.MinSends || InboundPosted < _options.MinCallbacks) await Task.Delay(500);
        await stop.CancelAsync();
        await load;
        _options.Log($"load stopped: {_accepted.Count} sends accepted, {InboundPosted} inbound messages posted; draining");
        await DrainAsync();
        Elapsed = watch.Elapsed;
        return await ChaosReport.ReadAsync(cluster, this);
    }

    /// <summary>Starts a stopped silo and waits for the cluster to count it active; says where the time went.</summary>
    private async Task<string> RestartAsync(SiloProcess silo, DateTimeOffset down)
    {
        var starting = DateTimeOffset.UtcNow;
        await silo.StartAsync(TimeSpan.FromSeconds(120));
        var ready = DateTimeOffset.UtcNow;
        await cluster.ActiveSilosAsync(cluster.Silos.Count, TimeSpan.FromSeconds(60));
        return $"down {(starting - down).TotalSeconds:F1} s, ready {(ready - starting).TotalSeconds:F1} s, active {(DateTimeOffset.UtcNow - ready).TotalSeconds:F1} s";
    }

    private async Task LoginAsync()
    {
        var world = await cluster.World.GetFromJsonAsync<JsonElement>("/emulator/world");
        var free = world.GetProperty("corps").EnumerateArray()
            .SelectMany(c => c.GetProperty("accounts").EnumerateArray().Select(a => (Corp: c.GetProperty("corpId").GetString()!, WxId: a.GetProperty("wxId").GetString()!,
                Contacts: a.GetProperty("externalContacts").EnumerateArray().Select(x => x.GetString()!).Take(2).ToArray())))
            .Take(_options.Accounts).ToList();
        var logged = new ConcurrentBag<ChaosAccount>();
        await Parallel.ForEachAsync(free.Select((a, i) => (a, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (x, ct) =>
        {
            var (status, created) = await cluster.TenantAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = ChaosCluster.UserId });
            if (status != HttpStatusCode.OK) throw new InvalidOperationException($"container/create: {(int)status} {created}");
            var hostname = created.GetProperty("data").GetProperty("hostname").GetString()!;
            (await cluster.World.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false, wxId = x.a.WxId, corpId = x.a.Corp }, ct)).EnsureSuccessStatusCode();
            var conversations = x.a.Contacts.Select(c => ConversationId.Single(new WxId(x.a.WxId), new WxId(c)).Value).ToArray();
            logged.Add(new ChaosAccount(x.i, hostname, x.a.WxId, x.a.Corp, conversations));
        });
        Accounts.AddRange(logged.OrderBy(a => a.Index));

        for (var i = 0; i < 600; i++)
        {
            var (_, list) = await cluster.TenantAsync(HttpMethod.Get, "/gnapi/open/inner/user/wx/list");
            if (list.GetProperty("data").EnumerateArray().Count(a => a.GetProperty("Status").GetInt32() == 0) >= Accounts.Count) return;
            await Task.Delay(200);
        }

        throw new TimeoutException("the accounts did not come online");
    }

    /// <summary>
    /// One account's sends: one every 480 ms (a little faster than its pace, so it keeps a queue), while the whole run
    /// has fewer than eight per account waiting; each with an Idempotency-Key, so a retry on another silo is safe.
    /// </summary>
    private async Task SendLoopAsync(ChaosAccount account, CancellationToken stop)
    {
        var k = 0;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(480));
        while (await Wait(tick, stop))
        {
            if (_accepted.Count - await DeliveredAsync() > _options.Accounts * 8) continue;
            var content = $"co|{account.Index}|{++k}";
            var conversation = account.Conversations[k % account.Conversations.Length];
            try
            {
                var (status, answer) = await cluster.TenantAsync(HttpMethod.Post, "/gnapi/open/msg/text",
                    new { wxId = account.WxId, conversationId = conversation, content }, idempotencyKey: content, patience: TimeSpan.FromSeconds(90));
                if (status == HttpStatusCode.OK)
                    _accepted[content] = new AcceptedSend(content, answer.GetProperty("data").GetProperty("msgId").GetString()!, account.Index, DateTimeOffset.UtcNow);
                else
                    Interlocked.Increment(ref _sendRefusals);
            }
            catch (TimeoutException)
            {
                Interlocked.Increment(ref _sendRefusals);
            }
        }
    }

    /// <summary>
    /// The people writing in: workers each own a share of the accounts, so one conversation's messages are asked for
    /// one after another and their numbers (the content's last field) are the order the host sends them in.
    /// </summary>
    private async Task InboundLoopAsync(CancellationToken stop)
    {
        const int workers = 4;
        var perWorker = Math.Max(1.0, _options.CallbacksPerSecond / (double)workers);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
        {
            var mine = Accounts.Where(a => a.Index % workers == w).ToList();
            if (mine.Count == 0) return;
            var next = new int[mine.Count, 2];
            var clock = Stopwatch.StartNew();
            for (long n = 0; !stop.IsCancellationRequested; n++)
            {
                var lag = TimeSpan.FromSeconds(n / perWorker) - clock.Elapsed;
                if (lag > TimeSpan.Zero) await Task.Delay(lag, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested) break;
                var i = (int)(n % mine.Count);
                var c = (int)(n / mine.Count % 2);
                var account = mine[i];
                var content = $"ci|{account.Index}|{c}|{++next[i, c]}";
                using var posted = await cluster.World.PostAsJsonAsync($"/emulator/containers/{account.HostName}/inbound",
                    new { type = "text_msg", conversationId = account.Conversations[c], content }, CancellationToken.None);
                posted.EnsureSuccessStatusCode();
                Interlocked.Increment(ref _inboundPosted);
            }
        }));
    }

    /// <summary>Waits until the host has no callback left to post and the accepted sends have stopped reaching it.</summary>
    private async Task DrainAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        long previous = -1;
        var stableSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            var callbacks = await cluster.World.GetFromJsonAsync<JsonElement>("/emulator/callbacks");
            var pending = callbacks.GetProperty("pending").GetInt64();
            var delivered = await DeliveredAsync();
            if (delivered != previous) (previous, stableSince) = (delivered, DateTime.UtcNow);
            // Sends are done when the host has them all, or when the outbox holds no open row (the rest settled
            // without reaching the host, e.g. "unknown"), or when deliveries stopped moving.
            var sendsDone = delivered >= _accepted.Count || await cluster.OpenSendsAsync() == 0 || DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(15);
            if (pending == 0 && sendsDone) break;
            await Task.Delay(250);
        }

        // The report then waits for the event log and the callback inbox to settle (conversations write within their
        // flush interval, the inbox re-delivers after RedeliverAfter).
        _options.Log($"drained: {await DeliveredAsync()} sends at the host");
    }

    private async Task<long> DeliveredAsync() =>
        (await cluster.World.GetFromJsonAsync<JsonElement>("/emulator/sent/totals")).GetProperty("delivered").GetInt64();

    private static async Task<bool> Wait(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

using System.Diagnostics;
using System.Text;

namespace OrleansWeCom.Testing.Chaos;

/// <summary>
/// One silo of the chaos cluster: the released host executable as its own process, on its own ports, started again on
/// the same ports after a kill (as a pod restarted by its node would be).
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly StringBuilder _tail = new();
    private Process? _process;

    public SiloProcess(int index, IReadOnlyDictionary<string, string> shared)
    {
        Index = index;
        ApiPort = TestPorts.Next();
        var settings = new Dictionary<string, string>(shared)
        {
            ["Orleans:SiloPort"] = TestPorts.Next().ToString(),
            ["Orleans:GatewayPort"] = TestPorts.Next().ToString(),
            ["Orleans:SiloName"] = $"chaos-{index}",
            ["Mqtt:Port"] = TestPorts.Next().ToString(),
        };
        _settings = settings;
        BaseAddress = new Uri($"http://127.0.0.1:{ApiPort}");
        DataDirectory = Path.Combine(Path.GetTempPath(), "wecom-chaos-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
    }

    public int Index { get; }
    public int ApiPort { get; }
    public Uri BaseAddress { get; }
    public string DataDirectory { get; }

    /// <summary>True from the start of the process until it is killed or stopped: tenants and the balancer try it.</summary>
    public bool Up { get; private set; }

    /// <summary>The last lines the process wrote (warnings and errors), for a failure's message.</summary>
    public string Tail { get { lock (_tail) return _tail.ToString(); } }

    public async Task StartAsync(TimeSpan timeout)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DataDirectory };
        info.ArgumentList.Add(HostDll());
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        foreach (var (k, v) in _settings) info.ArgumentList.Add($"--{k}={v}");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Less JIT work at each of the run's many starts: no profile-guided instrumentation of the host's methods. (Hot
        // methods are still compiled again: the silos carry load for minutes.)
        info.Environment["DOTNET_TieredPGO"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start a silo");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Up = true;

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"silo {Index} exited with {process.ExitCode}:\n{Tail}");
            try
            {
                using var ready = await http.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"silo {Index} did not become ready in {timeout}:\n{Tail}");
    }

    /// <summary>A crash: SIGKILL to the process, nothing flushed, no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        Up = false;
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>A graceful stop (SIGTERM, as Kubernetes sends), waited for.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Up = false;
        if (_process is { HasExited: false } p)
        {
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill!.WaitForExitAsync();
            using var cts = new CancellationTokenSource(timeout);
            await p.WaitForExitAsync(cts.Token);
        }
    }

    public TimeSpan Cpu()
    {
        if (_process is not { HasExited: false } p) return TimeSpan.Zero;
        p.Refresh();
        return p.TotalProcessorTime;
    }

    private void Keep(string? line)
    {
        if (line is null || !(line.Contains("fail", StringComparison.Ordinal) || line.Contains("crit", StringComparison.Ordinal) || line.Contains("warn", StringComparison.Ordinal))) return;
        lock (_tail)
        {
            _tail.AppendLine(line);
            if (_tail.Length > 16_000) _tail.Remove(0, _tail.Length - 12_000);
        }
    }

    /// <summary>The Release build of the host in this tree (the executable a user runs).</summary>
    private static string HostDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansWeCom.sln"))) dir = dir.Parent;
        var dll = Path.Combine(dir?.FullName ?? ".", "src", "OrleansWeCom.Host", "bin", "Release", "net10.0", "OrleansWeCom.Host.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the host in Release first: dotnet build -c Release src/OrleansWeCom.Host", dll);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace OrleansWeCom.Tests.Infrastructure;

/// <summary>Tests that run real host processes take turns in two lines: two cores do not carry many silos at once.</summary>
[CollectionDefinition(Name)]
public sealed class HostProcessCollection
{
    public const string Name = "host processes";

    /// <summary>
    /// The sending tests' own line of host processes, beside the life-cycle one: their time goes mostly to waiting out
    /// 500 ms gaps and budget windows, which two lines overlap.
    /// </summary>
    public const string Sending = "host processes (sending)";
}

/// <summary>
/// The real OrleansWeCom host as a separate process (the same executable `dotnet run` starts), on free loopback
/// ports and its own data directory. <see cref="KillAsync"/> is a crash (SIGKILL), not a shutdown.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    public const string DemoApiKey = "test-demo-key-0123456789";
    public const string AdminApiKey = "test-admin-key-0123456789";

    private readonly Dictionary<string, string> _settings;
    private readonly bool _ownsData;
    private Process? _process;
    private readonly StringBuilder _output = new();

    public HostProcess(string? dataDirectory = null, IDictionary<string, string>? settings = null)
    {
        _ownsData = dataDirectory is null;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "wecom-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        ApiPort = FreePort();
        EmulatorPort = FreePort();
        _settings = new Dictionary<string, string>
        {
            ["Storage:ConnectionString"] = $"Data Source={Path.Combine(DataDirectory, "wecom.db")}",
            ["Emulator:Url"] = $"http://127.0.0.1:{EmulatorPort}",
            ["Orleans:SiloPort"] = FreePort().ToString(),
            ["Orleans:GatewayPort"] = FreePort().ToString(),
            ["Orleans:ShutdownTimeout"] = "00:00:05",
            ["Mqtt:Port"] = FreePort().ToString(),
            // The Orleans Dashboard costs about a second of CPU per start and no process test looks at it.
            ["Dashboard:Enabled"] = "false",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) _settings[k] = v;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ApiPort}"), Timeout = TimeSpan.FromSeconds(30) };
        Emulator = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{EmulatorPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string DataDirectory { get; }
    public int ApiPort { get; }
    public int EmulatorPort { get; }
    public HttpClient Client { get; }
    public HttpClient Emulator { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var dll = HostDll();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{ApiPort}");
        foreach (var (k, v) in _settings) info.ArgumentList.Add($"--{k}={v}");
        info.Environment["WECOM_DEMO_APIKEY"] = DemoApiKey;
        info.Environment["WECOM_ADMIN_KEY"] = AdminApiKey;
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Less JIT work in a process that lives for one test: no profile-guided instrumentation of its methods, and no
        // second compilation of its hot methods (a short life does not repay it; about 1 s of CPU after each start).
        info.Environment["DOTNET_TieredPGO"] = "0";
        info.Environment["DOTNET_TC_CallCounting"] = "0";
        info.WorkingDirectory = DataDirectory;
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start the host");
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the host exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var ready = await Client.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode && await DemoReadyAsync()) return;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the host did not become ready:\n{Output}");
    }

    private async Task<bool> DemoReadyAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/gnapi/open/inner/user/list");
        request.Headers.Add("apikey", DemoApiKey);
        using var response = await Client.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    /// <summary>A crash: SIGKILL, no graceful shutdown.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>A graceful stop (SIGTERM, as Kubernetes sends).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) await kill!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(timeout.Token);
        }
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? apiKey = DemoApiKey, string? rawBody = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (apiKey is not null) request.Headers.Add("apikey", apiKey);
        if (rawBody is not null) request.Content = new StringContent(rawBody, Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body);
        return Client.SendAsync(request);
    }

    /// <summary>Sends and reads the envelope, asserting the HTTP status.</summary>
    public async Task<JsonElement> CallAsync(HttpMethod method, string path, object? body = null, string? apiKey = DemoApiKey,
        HttpStatusCode expected = HttpStatusCode.OK, string? rawBody = null)
    {
        using var response = await SendAsync(method, path, body, apiKey, rawBody);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        var envelope = JsonDocument.Parse(text).RootElement;
        Assert.True(envelope.TryGetProperty("code", out _) && envelope.TryGetProperty("msg", out _) && envelope.TryGetProperty("data", out _),
            $"not the seed's envelope: {text}");
        return envelope;
    }

    public static int FreePort() => OrleansWeCom.Testing.TestPorts.Next();

    private static string HostDll()
    {
        // The host's own build output: tests run the very executable a user runs.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansWeCom.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("repository root not found");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(dir.FullName, "src", "OrleansWeCom.Host", "bin", configuration, "net10.0", "OrleansWeCom.Host.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the host first", dll);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        Client.Dispose();
        Emulator.Dispose();
        if (!_ownsData) return;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

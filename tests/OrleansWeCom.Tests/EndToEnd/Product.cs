using System.Net.Http.Json;
using System.Text.Json;
using OrleansWeCom.Emulator;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.EndToEnd;

/// <summary>
/// The product as a user runs it against a container host: the host process (silo + gateway) and an emulator in
/// the test process, so the emulator — the world — outlives crashes of the host.
/// </summary>
public sealed class Product : IAsyncDisposable
{
    private const string HostToken = "emu-callback-token";
    private readonly Dictionary<string, string> _settings;

    private Product(EmulatorHost emulator, Dictionary<string, string> settings, string? dataDirectory)
    {
        World = emulator;
        _settings = settings;
        Host = new HostProcess(dataDirectory, settings);
        WorldClient = new HttpClient { BaseAddress = emulator.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public EmulatorHost World { get; }
    public HostProcess Host { get; private set; }
    public HttpClient WorldClient { get; }

    public static async Task<Product> StartAsync(Action<EmulatorOptions>? emulator = null, IDictionary<string, string>? settings = null)
    {
        var options = new EmulatorOptions();
        emulator?.Invoke(options);
        var world = await EmulatorHost.StartAsync(options, "http://127.0.0.1:0");
        var all = new Dictionary<string, string>
        {
            ["Emulator:Enabled"] = "false",
            ["ContainerHosts:Hosts:0:Name"] = "emu",
            ["ContainerHosts:Hosts:0:BaseUrl"] = world.BaseAddress.ToString().TrimEnd('/'),
            ["ContainerHosts:Hosts:0:ApiKey"] = "any",
            ["ContainerHosts:Hosts:0:Capacity"] = "5000",
            ["Callbacks:HostTokens:emu"] = HostToken,
            ["Mqtt:Enabled"] = "false",
            ["Demo:Enabled"] = "true",
            // The emulator serves the files sends refer to on loopback, as the operator of a host on this machine allows.
            ["Gateway:FileProbe:AllowLoopback"] = "true",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) all[k] = v;
        var product = new Product(world, all, null);
        await product.StartHostAsync(product.Host);
        return product;
    }

    private async Task StartHostAsync(HostProcess host)
    {
        World.SetCallbacks($"http://127.0.0.1:{host.ApiPort}/callbacks/emu?token={HostToken}", World.Options.Callbacks.DuplicateRate);
        await host.StartAsync();
    }

    /// <summary>Kills the host process (SIGKILL) and starts a new one on the same database.</summary>
    public async Task CrashAndRestartAsync()
    {
        await Host.KillAsync();
        var data = Host.DataDirectory;
        Host = new HostProcess(data, _settings);
        await StartHostAsync(Host);
    }

    public async Task<string> CreateContainerAsync()
    {
        var created = await Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = "apps-1" });
        return created.GetProperty("data").GetProperty("hostname").GetString()!;
    }

    public async Task<JsonElement> ScanAsync(string hostname, bool requireVerify, string? wxId = null, string? corpId = null)
    {
        using var response = await WorldClient.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify, wxId, corpId });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"scan failed: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Creates a container and logs it in; returns (hostname, wxId, corpId).</summary>
    public async Task<(string HostName, string WxId, string CorpId)> LoginAsync(string? wxId = null, string? corpId = null)
    {
        var hostname = await CreateContainerAsync();
        await WaitForAsync(hostname, c => c.GetProperty("LoginStep").GetString() == "WaitingForScan", "QR code shown");
        var scanned = await ScanAsync(hostname, false, wxId, corpId);
        var online = await WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online");
        Assert.Equal(scanned.GetProperty("wxId").GetString(), online.GetProperty("wxId").GetString());
        return (hostname, scanned.GetProperty("wxId").GetString()!, scanned.GetProperty("corpId").GetString()!);
    }

    public async Task<JsonElement> ContainerAsync(string hostname)
    {
        var list = await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}");
        return Assert.Single(list.GetProperty("data").EnumerateArray());
    }

    public async Task<JsonElement> WaitForAsync(string hostname, Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await ContainerAsync(hostname);
            if (condition(last)) return last;
            await Task.Delay(100);
        }

        throw new TimeoutException($"container {hostname} never became {what}; last seen {last}\nhistory: {await HistoryTextAsync(hostname)}");
    }

    public async Task<List<string>> HistoryAsync(string hostname)
    {
        var history = await Host.CallAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/history");
        return history.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("to").GetString()!).ToList();
    }

    private async Task<string> HistoryTextAsync(string hostname)
    {
        try
        {
            return string.Join(" -> ", await HistoryAsync(hostname));
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }

    public async Task<List<JsonElement>> SentAsync(string hostname)
    {
        var sent = await WorldClient.GetFromJsonAsync<JsonElement>($"/emulator/containers/{hostname}/sent");
        var items = sent.ValueKind == JsonValueKind.Array ? sent : sent.TryGetProperty("data", out var d) ? d : sent.GetProperty("sent");
        return items.EnumerateArray().ToList();
    }

    public async Task<JsonElement> WorldAsync() => await WorldClient.GetFromJsonAsync<JsonElement>("/emulator/world");

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        WorldClient.Dispose();
        await World.DisposeAsync();
    }
}

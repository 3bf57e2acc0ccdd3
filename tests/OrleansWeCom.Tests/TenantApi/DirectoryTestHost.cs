using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>
/// The silo and gateway in one process with the real container-host emulator embedded, as the embedded run wires it:
/// containers are created through our API, logged in by a scan at the emulator, and the emulator's callbacks come back
/// over HTTP. <see cref="Emulator"/> calls the emulator's host API directly, to compare answers.
/// </summary>
public sealed class DirectoryTestHost : WeComTestApp
{
    public const string EmulatorApiKey = "directory-tests";

    private DirectoryTestHost(WebApplication app, string databaseFile, Uri emulator, string filesDirectory) : base(app, databaseFile)
    {
        Emulator = new HttpClient { BaseAddress = emulator };
        Emulator.DefaultRequestHeaders.Add("apikey", EmulatorApiKey);
        FilesDirectory = filesDirectory;
    }

    public HttpClient Emulator { get; }
    public string FilesDirectory { get; }

    public static async Task<DirectoryTestHost> StartAsync(IDictionary<string, string?>? extra = null, Action<IServiceCollection>? services = null)
    {
        var databaseFile = Path.Combine(Path.GetTempPath(), $"wecom-directory-{Guid.NewGuid():N}.db");
        var files = Path.Combine(Path.GetTempPath(), $"wecom-files-{Guid.NewGuid():N}");
        var settings = OrleansWeCom.Testing.TestSettings.For(databaseFile, "directory");
        foreach (var key in settings.Keys.Where(k => k.StartsWith("ContainerHosts:", StringComparison.Ordinal)).ToList()) settings.Remove(key);
        var emulator = new Uri($"http://127.0.0.1:{OrleansWeCom.Testing.TestPorts.Next()}");
        settings["Emulator:Enabled"] = "true";
        settings["Emulator:Url"] = emulator.ToString().TrimEnd('/');
        settings["Emulator:ApiKey"] = EmulatorApiKey;
        settings["Files:Directory"] = files;
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var app = await StartAppAsync(settings, services ?? (_ => { }));
        return new DirectoryTestHost(app, databaseFile, emulator, files);
    }

    /// <summary>A tenant with user <c>apps-{tenant}</c> and a client carrying its key.</summary>
    public async Task<HttpClient> TenantAsync(string tenant)
    {
        var client = await TenantClientAsync(tenant);
        await Grains.GetGrain<ITenantGrain>(tenant).AddUserAsync(UserOf(client), "tester", isAdmin: true);
        return client;
    }

    private static string UserOf(HttpClient tenant) => "apps-" + tenant.DefaultRequestHeaders.GetValues("apikey").Single()[..8];

    /// <summary>Creates a container through our API, scans it at the emulator and waits until the account is online.</summary>
    public async Task<(string HostName, string WxId)> LoginAsync(HttpClient tenant)
    {
        var created = await DataAsync(await tenant.PostAsJsonAsync("/gnapi/open/container/create", new { userId = UserOf(tenant) }));
        var hostname = created.GetProperty("hostname").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement scanned = default;
        while (true)
        {
            using var scan = await Emulator.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false });
            if (scan.IsSuccessStatusCode)
            {
                scanned = JsonDocument.Parse(await scan.Content.ReadAsStringAsync()).RootElement;
                break;
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"scan of {hostname} failed: {await scan.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }

        var wxId = scanned.GetProperty("wxId").GetString()!;
        while (true)
        {
            var binding = await Grains.GetGrain<IAccountGrain>(wxId).GetBindingAsync();
            if (binding?.Status == ContainerStatus.Online) return (hostname, wxId);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"account {wxId} of {hostname} never came online");
            await Task.Delay(100);
        }
    }

    /// <summary>The <c>data</c> of a successful envelope; fails the test with the body otherwise.</summary>
    public static async Task<JsonElement> DataAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
            var envelope = JsonDocument.Parse(text).RootElement;
            Assert.Equal(0, envelope.GetProperty("code").GetInt32());
            return envelope.GetProperty("data").Clone();
        }
    }

    /// <summary>Sends a seed call: GET with the parameters in the query, any other method with them as the JSON body.</summary>
    public static Task<HttpResponseMessage> CallAsync(HttpClient client, string method, string path, object? parameters)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), "/gnapi/open" + path);
        if (method == "GET" && parameters is not null)
        {
            var query = JsonSerializer.SerializeToNode(parameters)!.AsObject()
                .Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value?.GetValueKind() == JsonValueKind.String ? p.Value.GetValue<string>() : p.Value?.ToJsonString() ?? "")}");
            request.RequestUri = new Uri(request.RequestUri + "?" + string.Join('&', query), UriKind.Relative);
        }
        else if (parameters is not null)
        {
            request.Content = JsonContent.Create(parameters);
        }

        return client.SendAsync(request);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using OrleansWeCom.Gateway;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Webhooks;
using OrleansWeCom.Grains;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>
/// A silo with the gateway in one process, as the host runs them: the tenant API on real Kestrel, the event log in a
/// SQLite file (which survives a "restart": a new host on the same file), grain state in memory.
/// </summary>
internal sealed class WebhookTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookTestHost(WebApplication app, string databaseFile)
    {
        _app = app;
        DatabaseFile = databaseFile;
    }

    public string DatabaseFile { get; }
    public HttpClient Http { get; private set; } = null!;
    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();
    public ITenantEventPublisher Publisher => _app.Services.GetRequiredService<ITenantEventPublisher>();
    public IServiceProvider Services => _app.Services;

    public static string NewDatabaseFile() => Path.Combine(Path.GetTempPath(), $"wecom-webhooks-{Guid.NewGuid():N}.db");

    public static async Task<WebhookTestHost> StartAsync(string? databaseFile = null, IDictionary<string, string?>? settings = null)
    {
        databaseFile ??= NewDatabaseFile();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var config = new Dictionary<string, string?>
        {
            ["Events:Provider"] = "Sqlite",
            ["Events:ConnectionString"] = $"Data Source={databaseFile}",
            ["Webhooks:AllowLoopback"] = "true",
            ["Webhooks:InitialBackoff"] = "00:00:00.100",
            ["Webhooks:MaxBackoff"] = "00:00:00.400",
            ["Webhooks:RequestTimeout"] = "00:00:05",
            ["Webhooks:SweepInterval"] = "00:00:01",
            ["Webhooks:CursorSaveInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        builder.Configuration.AddInMemoryCollection(config);
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = $"webhooks-{siloPort}");
            silo.UseLocalhostClustering(siloPort, gatewayPort);
            silo.AddMemoryGrainStorage(StorageNames.Grains);
        });
        builder.Services.AddWeComGateway(builder.Configuration);
        builder.Services.AddWeComEvents(builder.Configuration);
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGroup("/gnapi/open").RequireTenant().MapWebhooks();
        await app.StartAsync();
        var host = new WebhookTestHost(app, databaseFile);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.Http = new HttpClient { BaseAddress = new Uri(address) };
        return host;
    }

    /// <summary>Creates a tenant and returns a client that carries its apikey.</summary>
    public async Task<HttpClient> TenantClientAsync(string tenant)
    {
        await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync(tenant);
        var key = await Grains.GetGrain<ITenantGrain>(tenant).IssueApiKeyAsync(null);
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Add(TenantAuthenticator.HeaderName, key);
        return client;
    }

    /// <summary>PUT /gnapi/open/webhook; returns the envelope's data.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> PutWebhookAsync(HttpClient client, string url, string? secret = null)
    {
        using var response = await client.PutAsJsonAsync("/gnapi/open/webhook", new { url, secret });
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public static async Task<T> EventuallyAsync<T>(Func<T> probe, Func<T, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(25);
        }
    }

    private static int FreePort() => OrleansWeCom.Testing.TestPorts.Next();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}

internal static class SampleEvents
{
    /// <summary>A host callback as ingestion hands it on: a text message of a conversation.</summary>
    public static TenantEvent Text(string tenant, string wxId, string conversation, string content, string? msgId = null, string? sendMsgId = null) => new(
        msgId ?? Guid.NewGuid().ToString(), new TenantId(tenant), "text_msg", "40c10a375784", "apps-1", wxId,
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        JsonSerializer.Serialize(new { content, content_type = 0, conversation_id = conversation, sender = wxId, server_id = "1012209" }),
        sendMsgId, conversation);
}

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
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>
/// A silo with the gateway in one process, wired as the host wires it: the tenant API on real Kestrel, grain state and
/// the event log in SQLite files (which survive a "restart": a new host on the same file).
/// </summary>
internal sealed class WebhookTestHost : WeComTestApp
{
    private WebhookTestHost(WebApplication app, string databaseFile) : base(app, databaseFile)
    {
    }

    public ITenantEventPublisher Publisher => App.Services.GetRequiredService<ITenantEventPublisher>();

    public static string NewDatabaseFile() => Path.Combine(Path.GetTempPath(), $"wecom-webhooks-{Guid.NewGuid():N}.db");

    public static async Task<WebhookTestHost> StartAsync(string? databaseFile = null, IDictionary<string, string?>? settings = null)
    {
        databaseFile ??= NewDatabaseFile();
        var config = OrleansWeCom.Testing.TestSettings.For(databaseFile, "webhooks");
        config["Webhooks:AllowLoopback"] = "true";
        config["Webhooks:InitialBackoff"] = "00:00:00.100";
        config["Webhooks:MaxBackoff"] = "00:00:00.400";
        config["Webhooks:RequestTimeout"] = "00:00:05";
        config["Webhooks:SweepInterval"] = "00:00:01";
        config["Webhooks:CursorSaveInterval"] = "00:00:00.200";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        return new WebhookTestHost(await StartAppAsync(config, _ => { }), databaseFile);
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

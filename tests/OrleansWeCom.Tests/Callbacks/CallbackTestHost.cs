using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
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

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>Records what reaches the tenant boundary; can be made to fail, as a database outage would.</summary>
public sealed class RecordingPublisher : ITenantEventPublisher
{
    private readonly ConcurrentQueue<TenantEvent> _events = new();

    /// <summary>Host callbacks handed to tenants (not our own account_state_changed and account_alert events).</summary>
    public IReadOnlyList<TenantEvent> Events => _events.Where(e => e.Type is not (TenantEventTypes.AccountStateChanged or TenantEventTypes.AccountAlert)).ToList();
    public volatile bool Failing;
    /// <summary>Takes the event and fails its store later, as a commit lost with a crash would.</summary>
    public volatile bool FailingLater;

    public Task PublishAsync(TenantEvent tenantEvent)
    {
        if (Failing) throw new InvalidOperationException("publisher unavailable");
        if (FailingLater) return Task.FromException(new InvalidOperationException("event store lost the write"));
        _events.Enqueue(tenantEvent);
        return Task.CompletedTask;
    }
}

public sealed class NoSender : IContainerHostSender
{
    public Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken) => Task.FromResult(Guid.NewGuid().ToString());
}

public sealed class NoContainerHosts : IContainerHosts
{
    public Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        Task.FromResult<HostContainerStatus?>(new HostContainerStatus(0, null, null));
    public Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<HostContainerMemory>>([]);
    public Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken) => throw new NotSupportedException();
}

/// <summary>
/// The silo and the gateway in one process as the host runs them: callbacks over real Kestrel, the inbox and grain
/// state in one SQLite file (a restart is a new host on the same file), the tenant boundary recorded.
/// </summary>
public sealed class CallbackTestHost : WeComTestApp
{
    public const string HostKey = "host-a";
    public const string Token = "token-of-host-a";
    public const string OtherHostKey = "host-b";
    public const string OtherToken = "token-of-host-b";

    private CallbackTestHost(WebApplication app, string databaseFile, RecordingPublisher publisher) : base(app, databaseFile) => Publisher = publisher;

    public RecordingPublisher Publisher { get; }
    public CallbackInbox Inbox => App.Services.GetRequiredService<CallbackInbox>();
    public CallbackInboxStore Store => App.Services.GetRequiredService<CallbackInboxStore>();

    public static string NewDatabaseFile() => Path.Combine(Path.GetTempPath(), $"wecom-callbacks-{Guid.NewGuid():N}.db");

    public static async Task<CallbackTestHost> StartAsync(string? databaseFile = null, bool publisherFailing = false, IDictionary<string, string?>? settings = null,
        IContainerHosts? hosts = null, IContainerHostSender? sender = null)
    {
        databaseFile ??= NewDatabaseFile();
        var config = OrleansWeCom.Testing.TestSettings.For(databaseFile, "callbacks");
        config[$"Callbacks:HostTokens:{HostKey}"] = Token;
        config[$"Callbacks:HostTokens:{OtherHostKey}"] = OtherToken;
        config["Callbacks:RedeliverAfter"] = "00:00:02";
        config["Conversations:FlushInterval"] = "00:00:00.050";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        // The outside world: the tenant boundary recorded, hosts that take every send and echo none.
        var publisher = new RecordingPublisher { Failing = publisherFailing };
        var app = await StartAppAsync(config, services =>
        {
            services.AddSingleton<ITenantEventPublisher>(publisher);
            services.AddSingleton(hosts ?? new NoContainerHosts());
            services.AddSingleton(sender ?? new NoSender());
        });
        return new CallbackTestHost(app, databaseFile, publisher);
    }

    /// <summary>A container of <paramref name="tenant"/> on <paramref name="hostKey"/>, as container/create leaves it.</summary>
    public async Task CreateContainerAsync(string tenant, string hostname, string hostKey = HostKey)
    {
        await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync(tenant);
        await Grains.GetGrain<IContainerGrain>(hostname).InitializeAsync(new TenantId(tenant), "apps-1", hostKey, "/qr.png", "1.0", 1, "2024-01-01 00:00:00");
    }

    public Task<HttpResponseMessage> PostAsync(string json, string hostKey = HostKey, string? token = Token, bool bearer = false)
    {
        var url = bearer || token is null ? $"/callbacks/{hostKey}" : $"/callbacks/{hostKey}?token={Uri.EscapeDataString(token)}";
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer && token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return Http.SendAsync(request);
    }

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(25);
        }
    }
}

using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Mqtt;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Tests.Mqtt;

public sealed record RecordedSend(TenantId Tenant, SendKind Kind, JsonObject Body, string IdempotencyKey);

/// <summary>
/// The send path's boundary as tests need it: validates with the real <see cref="SendRequestParser"/>, remembers a
/// msgId per tenant and key as the outbox does, and can be held shut to show what waits for persistence.
/// </summary>
public sealed class RecordingSendHandler : IMqttSendHandler
{
    private readonly ConcurrentDictionary<(TenantId, string), string> _msgIds = new();
    private volatile TaskCompletionSource _gate = Open();

    public ConcurrentQueue<RecordedSend> Sends { get; } = new();

    /// <summary>Completes each time a send has entered the handler (the next one gets a fresh task).</summary>
    public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Exception? Throw { get; set; }

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public async Task<string> SendAsync(TenantId tenant, SendKind kind, JsonObject body, string idempotencyKey, CancellationToken cancellationToken)
    {
        var entered = Entered;
        Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        entered.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        if (Throw is { } exception) throw exception;
        SendRequestParser.Parse(kind, body);
        var msgId = _msgIds.GetOrAdd((tenant, idempotencyKey), _ => Guid.NewGuid().ToString().ToUpperInvariant());
        Sends.Enqueue(new RecordedSend(tenant, kind, body, idempotencyKey));
        return msgId;
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}

public sealed class FixedTenants(IReadOnlyDictionary<string, TenantId> keys) : IMqttTenantResolver
{
    public Task<TenantId?> ResolveAsync(string? apiKey) =>
        Task.FromResult(apiKey is not null && keys.TryGetValue(apiKey, out var tenant) ? tenant : (TenantId?)null);
}

/// <summary>The broker on a free loopback port with two tenants, A and B, and the recording send boundary.</summary>
public sealed class FakeMqttBroker : IAsyncDisposable
{
    public const string KeyA = "key-of-tenant-a";
    public const string KeyB = "key-of-tenant-b";
    public static readonly TenantId TenantA = new("tenant-a");
    public static readonly TenantId TenantB = new("tenant-b");

    private readonly WeComMqttServer _server;

    private FakeMqttBroker(WeComMqttServer server, int port, RecordingSendHandler sends)
    {
        _server = server;
        Port = port;
        Sends = sends;
    }

    public int Port { get; }
    public RecordingSendHandler Sends { get; }

    public static async Task<FakeMqttBroker> StartAsync(Action<MqttOptions>? configure = null, ILogger<WeComMqttServer>? logger = null)
    {
        var options = new MqttOptions { Port = MqttTestClient.FreePort() };
        configure?.Invoke(options);
        var sends = new RecordingSendHandler();
        var tenants = new FixedTenants(new Dictionary<string, TenantId> { [KeyA] = TenantA, [KeyB] = TenantB });
        var server = new WeComMqttServer(Options.Create(options), tenants, sends, logger ?? NullLogger<WeComMqttServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        return new FakeMqttBroker(server, options.Port, sends);
    }

    public Task<MqttTestClient> ConnectAsync(string apiKey, string? clientId = null) => MqttTestClient.ConnectAsync(Port, apiKey, clientId);

    public async ValueTask DisposeAsync()
    {
        Sends.Release();
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }
}

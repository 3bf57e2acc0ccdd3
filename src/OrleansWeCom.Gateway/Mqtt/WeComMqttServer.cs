using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>
/// Seed 000's MQTT way of sending: a broker that only takes publishes to <c>SendMessage</c> from clients whose
/// password is a tenant API key, sends them through the same path as HTTP, and answers each on <c>SendMessageResp</c>
/// (or the MQTT 5 response topic the publish names) to the publisher, or to its tenant's clients under the same user
/// name when the publisher does not listen (see <see cref="MqttReplyRoute"/>).
/// </summary>
/// <remarks>
/// A client may connect without a client id if its session is clean; the broker assigns one (in the CONNACK for MQTT 5).
/// Replies are published by the broker under a sender id of their own, and the enqueue interceptor lets a reply reach
/// only the clients its route admits: every tenant subscribes the same topic and sees its own replies. The PUBACK of a
/// QoS 1 publish is sent after the send is persisted in the outbox (or refused, with the reply telling why): the broker
/// waits for the client's worker before acknowledging.
/// </remarks>
public sealed partial class WeComMqttServer(
    IOptions<MqttOptions> options,
    IMqttTenantResolver tenants,
    IMqttSendHandler sends,
    ILogger<WeComMqttServer> logger,
    TenantQuotas? quotas = null) : IHostedService, IAsyncDisposable
{
    private static readonly Meter Meter = new("OrleansWeCom.Mqtt");
    private static readonly Counter<long> Processed = Meter.CreateCounter<long>("wecom.mqtt.sends", description: "SendMessage publishes by outcome");

    /// <summary>What a SendMessage publish carries besides its payload: topic, properties, response topic, correlation data.</summary>
    private const int MaxPublishOverheadBytes = 64 * 1024;

    private readonly MqttOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, MqttClientSession> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MqttClientWorker> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<MqttClientWorker, byte> _draining = new();
    private readonly Hashtable _replyItems = new();
    private readonly CancellationTokenSource _stopping = new();
    private MqttServer? _server;
    private int _disposed;

    public bool IsRunning => _server?.IsStarted == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            MqttLog.Disabled(logger);
            return;
        }

        var factory = new MqttServerFactory();
        var serverOptions = factory.CreateServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(_options.Port)
            // Replies waiting to go out: at most one per pending send, plus those a slow reader has not taken yet.
            .WithMaxPendingMessagesPerClient(Math.Max(1000, 2 * _options.MaxPendingMessagesPerClient))
            .Build();
        // Listen on the configured address only; MQTTnet would otherwise add the IPv6 wildcard.
        var address = IPAddress.Parse(_options.Address);
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        serverOptions.DefaultEndpointOptions.BoundInterNetworkAddress = v6 ? IPAddress.None : address;
        serverOptions.DefaultEndpointOptions.BoundInterNetworkV6Address = v6 ? address : IPAddress.None;

        var server = factory.CreateMqttServer(serverOptions, [new ClientIdAssigningServerAdapter(_options.MaxConnectPacketBytes, _options.MaxPayloadBytes + MaxPublishOverheadBytes)]);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientConnectedAsync += ClientConnectedAsync;
        server.ClientDisconnectedAsync += ClientDisconnectedAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.InterceptingUnsubscriptionAsync += InterceptUnsubscriptionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingClientEnqueueAsync += InterceptEnqueueAsync;
        await server.StartAsync();
        _server = server;
        MqttLog.Listening(logger, _options.Address, _options.Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            await server.StopAsync(new MqttServerStopOptions());
            foreach (var worker in _workers.Values) worker.Complete();
            try
            {
                // Sends already accepted are persisted before the process goes; their replies have no one to reach.
                await Task.WhenAll(_draining.Keys.Select(w => w.Completion)).WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _stopping.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync();
        _server?.Dispose();
        _stopping.Dispose();
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var clientId = e.ClientId;
        if (string.IsNullOrEmpty(clientId))
        {
            // A session that outlives the connection needs a name the client knows (MQTT 3.1.1 §3.1.3-8).
            if (e.CleanSession != true)
            {
                Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "a client id is required unless the session is clean");
                return;
            }

            // MQTT 5: MQTTnet takes the id from here and returns it in the CONNACK (3.x clients got one on the way in).
            clientId = e.AssignedClientIdentifier = MqttClientIds.NewAssigned();
        }

        TenantId? tenant;
        try
        {
            tenant = await tenants.ResolveAsync(e.Password);
        }
        catch (Exception exception)
        {
            MqttLog.ResolveFailed(logger, exception, clientId);
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            return;
        }

        if (tenant is not { } t)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "the password must be the tenant's API key");
            return;
        }

        // A client id names a session; another tenant must not take over (and read) a live one.
        var userName = e.UserName ?? "";
        var session = _clients.GetOrAdd(clientId, _ => new MqttClientSession(t, userName));
        if (session.Tenant != t)
            Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "the client id is in use by another tenant");
        else
            session.UserName = userName;
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string reason)
    {
        e.ReasonCode = code;
        e.ReasonString = reason;
        MqttLog.ConnectRefused(logger, e.ClientId ?? "", e.RemoteEndPoint?.ToString(), reason);
    }

    private Task ClientConnectedAsync(ClientConnectedEventArgs e)
    {
        if (!_clients.TryGetValue(e.ClientId, out var session)) return Task.CompletedTask;
        var worker = new MqttClientWorker(e.ClientId, session.Tenant, _options.MaxPendingMessagesPerClient, ProcessAsync);
        _draining[worker] = 0;
        _ = worker.Completion.ContinueWith(_ => _draining.TryRemove(worker, out byte _), TaskScheduler.Default);
        MqttClientWorker? previous = null;
        _workers.AddOrUpdate(e.ClientId, worker, (_, old) => { previous = old; return worker; });
        previous?.Complete();
        MqttLog.Connected(logger, e.ClientId, session.Tenant.Value);
        return Task.CompletedTask;
    }

    private Task ClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        MqttLog.Disconnected(logger, e.ClientId, e.DisconnectType.ToString());
        // A takeover by the same tenant keeps the claim; the new connection has already replaced the worker.
        if (e.DisconnectType == MqttClientDisconnectType.Takeover) return Task.CompletedTask;
        _clients.TryRemove(e.ClientId, out _);
        if (_workers.TryRemove(e.ClientId, out var worker)) worker.Complete();
        return Task.CompletedTask;
    }
}

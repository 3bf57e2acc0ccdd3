using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>
/// Seed 000's MQTT way of sending: a broker that only takes publishes to <c>SendMessage</c> from clients whose
/// password is a tenant API key, sends them through the same path as HTTP, and answers each on
/// <c>SendMessageResp</c> to the publishing client alone.
/// </summary>
/// <remarks>
/// Replies are published by the broker under a sender id derived from the receiving client's id, and the enqueue
/// interceptor lets a reply reach only that client: every tenant subscribes the same topic and sees its own replies.
/// The PUBACK of a QoS 1 publish is sent after the send is persisted in the outbox (or refused, with the reply
/// telling why): the broker waits for the client's worker before acknowledging.
/// </remarks>
public sealed class WeComMqttServer(
    IOptions<MqttOptions> options,
    IMqttTenantResolver tenants,
    IMqttSendHandler sends,
    ILogger<WeComMqttServer> logger) : IHostedService, IAsyncDisposable
{
    private const string ReplySenderPrefix = "$wecom-reply/";
    private static readonly Meter Meter = new("OrleansWeCom.Mqtt");
    private static readonly Counter<long> Processed = Meter.CreateCounter<long>("wecom.mqtt.sends", description: "SendMessage publishes by outcome");

    private readonly MqttOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, TenantId> _claims = new(StringComparer.Ordinal);
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

        var server = factory.CreateMqttServer(serverOptions);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientConnectedAsync += ClientConnectedAsync;
        server.ClientDisconnectedAsync += ClientDisconnectedAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
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
        if (string.IsNullOrEmpty(e.ClientId))
        {
            Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "a client id is required");
            return;
        }

        TenantId? tenant;
        try
        {
            tenant = await tenants.ResolveAsync(e.Password);
        }
        catch (Exception exception)
        {
            MqttLog.ResolveFailed(logger, exception, e.ClientId);
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            return;
        }

        if (tenant is not { } t)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "the password must be the tenant's API key");
            return;
        }

        // A client id names a session; another tenant must not take over (and read) a live one.
        if (_claims.GetOrAdd(e.ClientId, t) != t)
            Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "the client id is in use by another tenant");
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string reason)
    {
        e.ReasonCode = code;
        e.ReasonString = reason;
        MqttLog.ConnectRefused(logger, e.ClientId, e.RemoteEndPoint?.ToString(), reason);
    }

    private Task ClientConnectedAsync(ClientConnectedEventArgs e)
    {
        if (!_claims.TryGetValue(e.ClientId, out var tenant)) return Task.CompletedTask;
        var worker = new MqttClientWorker(e.ClientId, tenant, _options.MaxPendingMessagesPerClient, ProcessAsync);
        _draining[worker] = 0;
        _ = worker.Completion.ContinueWith(_ => _draining.TryRemove(worker, out byte _), TaskScheduler.Default);
        MqttClientWorker? previous = null;
        _workers.AddOrUpdate(e.ClientId, worker, (_, old) => { previous = old; return worker; });
        previous?.Complete();
        MqttLog.Connected(logger, e.ClientId, tenant.Value);
        return Task.CompletedTask;
    }

    private Task ClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        MqttLog.Disconnected(logger, e.ClientId, e.DisconnectType.ToString());
        // A takeover by the same tenant keeps the claim; the new connection has already replaced the worker.
        if (e.DisconnectType == MqttClientDisconnectType.Takeover) return Task.CompletedTask;
        _claims.TryRemove(e.ClientId, out _);
        if (_workers.TryRemove(e.ClientId, out var worker)) worker.Complete();
        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (e.TopicFilter.Topic != MqttTopics.Reply)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            e.Response.ReasonString = $"only {MqttTopics.Reply} can be subscribed";
        }

        return Task.CompletedTask;
    }

    private Task InterceptEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        // Clients cannot publish anything that is forwarded; our replies go to the one client they answer.
        e.AcceptEnqueue = e.ApplicationMessage.Topic == MqttTopics.Reply
            && e.SenderClientId.StartsWith(ReplySenderPrefix, StringComparison.Ordinal)
            && e.SenderClientId.AsSpan(ReplySenderPrefix.Length).SequenceEqual(e.ReceiverClientId);
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (ReferenceEquals(e.SessionItems, _replyItems)) return;

        e.ProcessPublish = false;
        if (e.ApplicationMessage.Topic != MqttTopics.Send)
        {
            MqttLog.TopicRefused(logger, e.ClientId, e.ApplicationMessage.Topic);
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            e.Response.ReasonString = $"only {MqttTopics.Send} can be published";
            return;
        }

        if (!_workers.TryGetValue(e.ClientId, out var worker))
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
            return;
        }

        var payload = e.ApplicationMessage.Payload;
        if (payload.Length > _options.MaxPayloadBytes)
        {
            Processed.Add(1, new KeyValuePair<string, object?>("outcome", "too_large"));
            await ReplyAsync(e.ClientId, MqttSendMessage.Refused(null, ErrorCodes.PayloadTooLarge, $"the SendMessage payload exceeds {_options.MaxPayloadBytes} bytes"));
            e.Response.ReasonCode = MqttPubAckReasonCode.ImplementationSpecificError;
            return;
        }

        var acknowledge = e.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce
            ? null
            : new TaskCompletionSource<MqttPubAckReasonCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = new MqttWork(payload.ToArray(), acknowledge);
        if (!worker.TryEnqueue(work))
        {
            MqttLog.QueueFull(logger, e.ClientId, _options.MaxPendingMessagesPerClient);
            Processed.Add(1, new KeyValuePair<string, object?>("outcome", "queue_full"));
            await ReplyAsync(e.ClientId, MqttSendMessage.Refused(IdOf(work.Payload), ErrorCodes.QueueFull,
                $"more than {_options.MaxPendingMessagesPerClient} sends of this client are pending; wait for their replies"));
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        if (acknowledge is null) return;
        try
        {
            e.Response.ReasonCode = await acknowledge.Task.WaitAsync(e.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client went away; its send still completes and answers (to no one).
        }
    }

    private async Task ProcessAsync(MqttClientWorker worker, MqttWork work)
    {
        JsonNode? id = null;
        byte[] reply;
        MqttPubAckReasonCode ack;
        string outcome;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            var body = MqttSendMessage.ParseBody(work.Payload);
            id = MqttSendMessage.IdOf(body);
            var (key, kind) = MqttSendMessage.Route(body);
            var msgId = await sends.SendAsync(worker.Tenant, kind, body, key, timeout.Token);
            (reply, ack, outcome) = (MqttSendMessage.Accepted(id, msgId), MqttPubAckReasonCode.Success, "accepted");
        }
        catch (Exception exception) when (exception is ApiError or WeComException)
        {
            var code = exception is ApiError api ? api.Code : ((WeComException)exception).Code;
            MqttLog.SendRefused(logger, worker.ClientId, worker.Tenant.Value, code, exception.Message);
            reply = MqttSendMessage.Refused(id, code, exception.Message);
            ack = code switch
            {
                ErrorCodes.QueueFull => MqttPubAckReasonCode.QuotaExceeded,
                >= ErrorCodes.Internal => MqttPubAckReasonCode.UnspecifiedError,
                _ => MqttPubAckReasonCode.ImplementationSpecificError,
            };
            outcome = "refused";
        }
        catch (Exception exception)
        {
            MqttLog.SendFailed(logger, exception, worker.ClientId, worker.Tenant.Value);
            var message = timeout.IsCancellationRequested
                ? $"the send did not complete within {_options.SendTimeout.TotalSeconds:0.#} s; publish it again with the same id"
                : "the send could not be completed; publish it again with the same id";
            (reply, ack, outcome) = (MqttSendMessage.Refused(id, ErrorCodes.Internal, message), MqttPubAckReasonCode.UnspecifiedError, "failed");
        }

        Processed.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        work.Acknowledge?.TrySetResult(ack);
        await ReplyAsync(worker.ClientId, reply);
    }

    private async Task ReplyAsync(string clientId, byte[] payload)
    {
        if (_server is not { IsStarted: true } server) return;
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(MqttTopics.Reply)
            .WithPayload(payload)
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        try
        {
            await server.InjectApplicationMessage(
                new InjectedMqttApplicationMessage(message) { SenderClientId = ReplySenderPrefix + clientId, CustomSessionItems = _replyItems },
                _stopping.Token);
        }
        catch (Exception exception)
        {
            MqttLog.ReplyFailed(logger, exception, clientId);
        }
    }

    private static JsonNode? IdOf(byte[] payload)
    {
        try
        {
            return MqttSendMessage.IdOf(MqttSendMessage.ParseBody(payload));
        }
        catch (ApiError)
        {
            return null;
        }
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>The broker's publishes: SendMessage in, replies out on the routes their publishes asked for.</summary>
public sealed partial class WeComMqttServer
{
    private const string ReplySenderPrefix = "$wecom-reply/";
    private readonly ConcurrentDictionary<string, MqttReplyRoute> _replying = new(StringComparer.Ordinal);
    private long _replies;

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var topic = e.TopicFilter.Topic;
        if (topic != MqttTopics.Reply && !MqttReplyRoute.IsResponseTopic(topic))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            e.Response.ReasonString = $"only {MqttTopics.Reply}, or a response topic without wildcards, can be subscribed";
        }
        else if (!_clients.TryGetValue(e.ClientId, out var session) || !session.TrySubscribe(topic, _options.MaxSubscriptionsPerClient))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.QuotaExceeded;
            e.Response.ReasonString = $"a client may subscribe at most {_options.MaxSubscriptionsPerClient} topics";
        }

        return Task.CompletedTask;
    }

    private Task InterceptUnsubscriptionAsync(InterceptingUnsubscriptionEventArgs e)
    {
        if (_clients.TryGetValue(e.ClientId, out var session)) session.Unsubscribe(e.Topic);
        return Task.CompletedTask;
    }

    private Task InterceptEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        // Clients cannot publish anything that is forwarded; our replies go to the clients their route admits.
        e.AcceptEnqueue = _replying.TryGetValue(e.SenderClientId, out var route)
            && e.ApplicationMessage.Topic == route.Topic
            && _clients.TryGetValue(e.ReceiverClientId, out var receiver)
            && route.Admits(e.ReceiverClientId, receiver);
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (ReferenceEquals(e.SessionItems, _replyItems)) return;

        e.ProcessPublish = false;
        var message = e.ApplicationMessage;
        if (message.Topic != MqttTopics.Send)
        {
            MqttLog.TopicRefused(logger, e.ClientId, message.Topic);
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            e.Response.ReasonString = $"only {MqttTopics.Send} can be published";
            return;
        }

        if (!_workers.TryGetValue(e.ClientId, out var worker) || !_clients.TryGetValue(e.ClientId, out var session))
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.UnspecifiedError;
            return;
        }

        var validTopic = message.ResponseTopic is null || MqttReplyRoute.IsResponseTopic(message.ResponseTopic);
        var route = MqttReplyRoute.For(e.ClientId, session, validTopic ? message.ResponseTopic ?? MqttTopics.Reply : MqttTopics.Reply, message.CorrelationData);
        var payload = message.Payload;
        if (payload.Length > _options.MaxPayloadBytes || !validTopic)
        {
            var tooLarge = payload.Length > _options.MaxPayloadBytes;
            Processed.Add(1, new KeyValuePair<string, object?>("outcome", tooLarge ? "too_large" : "refused"));
            await ReplyAsync(route, tooLarge
                ? MqttSendMessage.Refused(null, ErrorCodes.PayloadTooLarge, $"the SendMessage payload exceeds {_options.MaxPayloadBytes} bytes")
                : MqttSendMessage.Refused(IdOf(payload.ToArray()), ErrorCodes.BadRequest, "the response topic must be a topic name without wildcards, '$' or SendMessage"));
            e.Response.ReasonCode = MqttPubAckReasonCode.ImplementationSpecificError;
            return;
        }

        // A publish is a tenant request like an HTTP one: it takes from the same per-tenant rate on this gateway.
        if (quotas is not null && !quotas.TryTakeRequest(worker.Tenant))
        {
            Processed.Add(1, new KeyValuePair<string, object?>("outcome", "rate_limited"));
            await ReplyAsync(route, MqttSendMessage.Refused(IdOf(payload.ToArray()), ErrorCodes.QueueFull,
                $"too many requests: this tenant may make {quotas.Options.RateOf(worker.Tenant.Value)} a second; retry later"));
            e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            return;
        }

        var acknowledge = message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce
            ? null
            : new TaskCompletionSource<MqttPubAckReasonCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = new MqttWork(payload.ToArray(), acknowledge, route);
        if (!worker.TryEnqueue(work))
        {
            MqttLog.QueueFull(logger, e.ClientId, _options.MaxPendingMessagesPerClient);
            Processed.Add(1, new KeyValuePair<string, object?>("outcome", "queue_full"));
            await ReplyAsync(route, MqttSendMessage.Refused(IdOf(work.Payload), ErrorCodes.QueueFull,
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
            // The client went away; its send still completes and answers (to whoever its route admits).
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
        await ReplyAsync(work.Route, reply);
    }

    private async Task ReplyAsync(MqttReplyRoute route, byte[] payload)
    {
        if (_server is not { IsStarted: true } server) return;
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(route.Topic)
            .WithPayload(payload)
            .WithContentType("application/json")
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (route.CorrelationData is { } correlation) builder.WithCorrelationData(correlation);
        // The route is looked up by the sender id while the broker hands the message to its subscribers.
        var sender = ReplySenderPrefix + Interlocked.Increment(ref _replies);
        _replying[sender] = route;
        try
        {
            await server.InjectApplicationMessage(
                new InjectedMqttApplicationMessage(builder.Build()) { SenderClientId = sender, CustomSessionItems = _replyItems },
                _stopping.Token);
        }
        catch (Exception exception)
        {
            MqttLog.ReplyFailed(logger, exception, route.OnlyClient ?? $"{route.Tenant.Value}/{route.UserName}");
        }
        finally
        {
            _replying.TryRemove(sender, out _);
        }
    }

    private static JsonNode? IdOf(byte[] payload)
    {
        try
        {
            return MqttSendMessage.IdOf(MqttSendMessage.ParseBody(payload));
        }
        catch (Exception e) when (e is ApiError or WeComException)
        {
            return null;
        }
    }
}

using System.Collections.Concurrent;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>A connected client as the broker knows it: its tenant, the user name it gave, and the topics it subscribed.</summary>
internal sealed class MqttClientSession(TenantId tenant, string userName)
{
    private readonly ConcurrentDictionary<string, byte> _topics = new(StringComparer.Ordinal);

    public TenantId Tenant { get; } = tenant;

    /// <summary>Replaced when the same tenant takes the session over under another user name.</summary>
    public string UserName { get; set; } = userName;

    public bool IsSubscribed(string topic) => _topics.ContainsKey(topic);

    /// <summary>Adds a subscription unless the client already has <paramref name="max"/> topics.</summary>
    public bool TrySubscribe(string topic, int max)
    {
        lock (_topics)
        {
            if (_topics.ContainsKey(topic)) return true;
            if (_topics.Count >= max) return false;
            return _topics.TryAdd(topic, 0);
        }
    }

    public void Unsubscribe(string topic)
    {
        lock (_topics) _topics.TryRemove(topic, out _);
    }
}

/// <summary>
/// Where the reply to one SendMessage goes: its topic (SendMessageResp, or the MQTT 5 response topic the publish named)
/// with the publish's correlation data, and who may receive it. A publisher subscribed to that topic gets it alone;
/// otherwise, as with a stock command-line client that publishes on one connection and listens on another, every client
/// of the same tenant connected under the same user name and subscribed to the topic gets it.
/// </summary>
internal sealed record MqttReplyRoute(string Topic, byte[]? CorrelationData, TenantId Tenant, string UserName, string? OnlyClient)
{
    public bool Admits(string receiverId, MqttClientSession receiver) =>
        receiver.Tenant == Tenant && (OnlyClient is null ? receiver.UserName == UserName : receiverId == OnlyClient);

    public static MqttReplyRoute For(string publisherId, MqttClientSession publisher, string topic, byte[]? correlationData) =>
        new(topic, correlationData, publisher.Tenant, publisher.UserName, publisher.IsSubscribed(topic) ? publisherId : null);

    /// <summary>A topic a reply may be published to besides SendMessageResp: a plain topic name of the client's choosing.</summary>
    public static bool IsResponseTopic(string? topic) =>
        !string.IsNullOrEmpty(topic) && topic.Length <= 256 && topic != MqttTopics.Send && !topic.StartsWith('$')
        && topic.IndexOfAny(['+', '#', '\0']) < 0;
}

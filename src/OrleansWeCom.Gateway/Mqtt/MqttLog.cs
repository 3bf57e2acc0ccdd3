namespace OrleansWeCom.Gateway.Mqtt;

internal static partial class MqttLog
{
    [LoggerMessage(1, LogLevel.Information, "MQTT broker listening on {Address}:{Port} (topics SendMessage, SendMessageResp)")]
    public static partial void Listening(ILogger logger, string address, int port);

    [LoggerMessage(2, LogLevel.Information, "MQTT broker disabled (Mqtt:Enabled=false)")]
    public static partial void Disabled(ILogger logger);

    // Debug: anyone can make the broker refuse a connect, so each refusal (and the id a stranger chose) is no warning.
    [LoggerMessage(3, LogLevel.Debug, "MQTT connect of client '{ClientId}' from {Endpoint} refused: {Reason}")]
    public static partial void ConnectRefused(ILogger logger, string clientId, string? endpoint, string reason);

    [LoggerMessage(4, LogLevel.Error, "MQTT connect of client '{ClientId}' refused: the API key could not be checked")]
    public static partial void ResolveFailed(ILogger logger, Exception exception, string clientId);

    [LoggerMessage(5, LogLevel.Debug, "MQTT client '{ClientId}' of tenant {Tenant} connected")]
    public static partial void Connected(ILogger logger, string clientId, string tenant);

    [LoggerMessage(6, LogLevel.Debug, "MQTT client '{ClientId}' disconnected ({Type})")]
    public static partial void Disconnected(ILogger logger, string clientId, string type);

    [LoggerMessage(7, LogLevel.Warning, "MQTT client '{ClientId}' published to '{Topic}', which is refused")]
    public static partial void TopicRefused(ILogger logger, string clientId, string topic);

    [LoggerMessage(8, LogLevel.Information, "MQTT send of client '{ClientId}' (tenant {Tenant}) refused: {Code} {Message}")]
    public static partial void SendRefused(ILogger logger, string clientId, string tenant, int code, string message);

    [LoggerMessage(9, LogLevel.Error, "MQTT send of client '{ClientId}' (tenant {Tenant}) failed")]
    public static partial void SendFailed(ILogger logger, Exception exception, string clientId, string tenant);

    [LoggerMessage(10, LogLevel.Warning, "MQTT reply to '{Audience}' could not be published")]
    public static partial void ReplyFailed(ILogger logger, Exception exception, string audience);

    [LoggerMessage(11, LogLevel.Warning, "MQTT client '{ClientId}' has {Capacity} sends pending; a publish was refused")]
    public static partial void QueueFull(ILogger logger, string clientId, int capacity);
}

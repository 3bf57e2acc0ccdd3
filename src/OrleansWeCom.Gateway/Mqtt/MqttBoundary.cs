using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>Who a connecting client is: the MQTT password is the tenant's API key.</summary>
public interface IMqttTenantResolver
{
    Task<TenantId?> ResolveAsync(string? apiKey);
}

/// <summary>Where an accepted SendMessage goes; returns the msgId once the send is persisted.</summary>
public interface IMqttSendHandler
{
    /// <exception cref="ApiError">The message is refused (validation, ownership, state).</exception>
    /// <exception cref="WeComException">A grain refused it.</exception>
    Task<string> SendAsync(TenantId tenant, SendKind kind, JsonObject body, string idempotencyKey, CancellationToken cancellationToken);
}

public sealed class ApiKeyTenantResolver(TenantAuthenticator authenticator) : IMqttTenantResolver
{
    public Task<TenantId?> ResolveAsync(string? apiKey) => authenticator.ResolveAsync(apiKey);
}

/// <summary>The same path as the HTTP send endpoints; the MQTT <c>id</c> is the idempotency key.</summary>
public sealed class SendServiceHandler(SendService sends) : IMqttSendHandler
{
    public Task<string> SendAsync(TenantId tenant, SendKind kind, JsonObject body, string idempotencyKey, CancellationToken cancellationToken) =>
        sends.SendAsync(tenant, kind, body, idempotencyKey, cancellationToken);
}

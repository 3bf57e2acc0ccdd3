using System.Net;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>The MQTT way of sending of seed 000 (section <c>Mqtt</c>).</summary>
public sealed class MqttOptions
{
    public const string SectionName = "Mqtt";

    public bool Enabled { get; set; } = true;

    /// <summary>The address the broker listens on; loopback unless opened on purpose (<c>0.0.0.0</c> for all).</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>The seed's port.</summary>
    public int Port { get; set; } = 1884;

    /// <summary>
    /// SendMessage publishes of one client waiting for their turn; past that a publish is answered with
    /// <see cref="ErrorCodes.QueueFull"/> at once.
    /// </summary>
    public int MaxPendingMessagesPerClient { get; set; } = 100;

    /// <summary>Topics one client may subscribe: SendMessageResp and the response topics it names in MQTT 5 publishes.</summary>
    public int MaxSubscriptionsPerClient { get; set; } = 16;

    /// <summary>The largest SendMessage payload, as the HTTP endpoints' body limit.</summary>
    public int MaxPayloadBytes { get; set; } = (int)Http.Envelope.MaxJsonBody;

    /// <summary>
    /// The largest CONNECT packet, the one packet read before a client is authenticated; a larger one closes the
    /// connection at its header, unread.
    /// </summary>
    public int MaxConnectPacketBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// How long one send may take before it is answered as failed (retry with the same id). Keep it below the
    /// clients' keep-alive: a QoS 1 publish holds the client's reading until its send is persisted.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class MqttOptionsValidator : IValidateOptions<MqttOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        if (!options.Enabled) return ValidateOptionsResult.Success;
        var errors = new List<string>();
        if (!IPAddress.TryParse(options.Address, out _)) errors.Add($"Mqtt:Address '{options.Address}' is not an IP address");
        if (options.Port is < 1 or > 65535) errors.Add($"Mqtt:Port {options.Port} is not a TCP port");
        if (options.MaxPendingMessagesPerClient < 1) errors.Add("Mqtt:MaxPendingMessagesPerClient must be at least 1");
        if (options.MaxSubscriptionsPerClient < 1) errors.Add("Mqtt:MaxSubscriptionsPerClient must be at least 1");
        if (options.MaxPayloadBytes < 256) errors.Add("Mqtt:MaxPayloadBytes must be at least 256");
        if (options.SendTimeout <= TimeSpan.Zero) errors.Add("Mqtt:SendTimeout must be positive");
        if (options.MaxConnectPacketBytes < 1024) errors.Add("Mqtt:MaxConnectPacketBytes must be at least 1024");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

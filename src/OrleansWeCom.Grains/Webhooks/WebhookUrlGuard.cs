using System.Net;
using Microsoft.Extensions.Options;
using OrleansWeCom.Net;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>
/// Keeps webhook URLs off our own networks (<see cref="OutboundGuard"/>) with the operator's <c>Webhooks</c> options:
/// checked when the URL is set and again on every connection.
/// </summary>
public sealed class WebhookUrlGuard(IOptionsMonitor<WebhookOptions> options)
{
    public OutboundGuard Guard { get; } = new(() => options.CurrentValue.AllowLoopback, () => options.CurrentValue.AllowPrivateNetworks);

    /// <summary>Validates the form and what the host resolves to now; returns the reason for a refusal, or null.</summary>
    public Task<string?> CheckAsync(string url, CancellationToken cancellationToken = default) =>
        Guard.CheckAsync(url, options.CurrentValue.RequireHttps, cancellationToken);

    /// <summary>Why connecting to this address is not allowed, or null when it is.</summary>
    public string? Refusal(IPAddress address) => Guard.Refusal(address);
}

using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>
/// Keeps tenant URLs off our own networks (SSRF): the host must resolve only to public addresses unless the operator
/// allows loopback or private ranges. Checked when the URL is set and again on every connection, where the checked
/// address is the one connected to, so a DNS answer that changes between the two cannot slip through.
/// </summary>
public sealed class WebhookUrlGuard(IOptionsMonitor<WebhookOptions> options)
{
    /// <summary>Validates the form and what the host resolves to now; returns the reason for a refusal, or null.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "url must be an absolute http or https URL";
        if (options.CurrentValue.RequireHttps && uri.Scheme != "https")
            return "url must use https";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "url must not carry credentials";
        if (url.Length > 2048)
            return "url is longer than 2048 characters";
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException e)
        {
            return $"host '{uri.Host}' does not resolve: {e.SocketErrorCode}";
        }

        if (addresses.Length == 0) return $"host '{uri.Host}' does not resolve";
        foreach (var address in addresses)
            if (Refusal(address) is { } why)
                return $"host '{uri.Host}' resolves to {address}, {why}";
        return null;
    }

    /// <summary>Why connecting to this address is not allowed, or null when it is.</summary>
    public string? Refusal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var o = options.CurrentValue;
        return Classify(address) switch
        {
            AddressKind.Public => null,
            AddressKind.Loopback => o.AllowLoopback ? null : "a loopback address (not allowed by the operator)",
            AddressKind.Private => o.AllowPrivateNetworks ? null : "a private or link-local address (not allowed by the operator)",
            _ => "an address that cannot receive webhooks",
        };
    }

    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);

    private enum AddressKind { Public, Loopback, Private, Never }

    private static AddressKind Classify(IPAddress a)
    {
        if (IPAddress.IsLoopback(a)) return AddressKind.Loopback;
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return b switch
            {
                [0, ..] => AddressKind.Never,                                   // 0.0.0.0/8 "this network"
                [10, ..] => AddressKind.Private,                                // 10/8
                [100, >= 64 and <= 127, ..] => AddressKind.Private,             // 100.64/10 carrier-grade NAT
                [169, 254, ..] => AddressKind.Private,                          // link-local, cloud metadata
                [172, >= 16 and <= 31, ..] => AddressKind.Private,              // 172.16/12
                [192, 168, ..] => AddressKind.Private,                          // 192.168/16
                [192, 0, 0, _] => AddressKind.Private,                          // IETF protocol assignments
                [198, 18 or 19, ..] => AddressKind.Private,                     // benchmarking
                [>= 224, ..] => AddressKind.Never,                              // multicast, reserved, broadcast
                _ => AddressKind.Public,
            };
        }

        if (a.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (a.Equals(IPAddress.IPv6None) || a.Equals(IPAddress.IPv6Any) || a.IsIPv6Multicast) return AddressKind.Never;
            var b = a.GetAddressBytes();
            if (a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6UniqueLocal) return AddressKind.Private;
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return AddressKind.Never; // documentation
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return AddressKind.Never; // NAT64 can reach IPv4 insides
            return AddressKind.Public;
        }

        return AddressKind.Never;
    }
}

using System.Net;
using System.Net.Sockets;

namespace OrleansWeCom.Net;

/// <summary>
/// Keeps requests that a tenant's input points somewhere (webhook URLs, files to probe) off our own networks (SSRF): a
/// host must resolve only to public addresses unless the operator allows loopback or private ranges. Checked on the URL
/// before any request and again on every connection, on the address actually connected to, so a DNS answer that
/// changes in between cannot slip through. Refusals never repeat a DNS answer: they would map our networks for a caller.
/// </summary>
public sealed class OutboundGuard(Func<bool> allowLoopback, Func<bool> allowPrivateNetworks)
{
    public OutboundGuard(bool allowLoopback, bool allowPrivateNetworks) : this(() => allowLoopback, () => allowPrivateNetworks)
    {
    }

    /// <summary>Validates the form and what the host resolves to now; returns the reason for a refusal, or null.</summary>
    public async Task<string?> CheckAsync(string url, bool requireHttps = false, CancellationToken cancellationToken = default)
    {
        if (url.Length > 2048) return "url is longer than 2048 characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return "url must be an absolute http or https URL";
        if (requireHttps && uri.Scheme != "https") return "url must use https";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "url must not carry credentials";
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"host '{uri.Host}' does not resolve";
        }

        if (addresses.Length == 0) return $"host '{uri.Host}' does not resolve";
        foreach (var address in addresses)
            if (Refusal(address) is { } why)
                return $"host '{uri.Host}' resolves to {why}";
        return null;
    }

    /// <summary>Why connecting to this address is not allowed, or null when it is.</summary>
    public string? Refusal(IPAddress address) => Classify(address) switch
    {
        AddressKind.Public => null,
        AddressKind.Loopback => allowLoopback() ? null : "a loopback address (not allowed by the operator)",
        AddressKind.Private => allowPrivateNetworks() ? null : "a private or link-local address (not allowed by the operator)",
        _ => "an address that cannot be reached from here",
    };

    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);

    /// <summary>
    /// A handler that resolves, checks every address and connects only to allowed ones. It follows no redirect: a
    /// redirect is an answer, so a hop to an inner address is never requested.
    /// </summary>
    public SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, int maxConnectionsPerServer = int.MaxValue) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        MaxConnectionsPerServer = maxConnectionsPerServer,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = connectTimeout,
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
            foreach (var address in addresses)
                if (Refusal(address) is { } why)
                    throw new RefusedAddressException($"refused: '{context.DnsEndPoint.Host}' resolves to {why}");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private enum AddressKind { Public, Loopback, Private, Never }

    private static AddressKind Classify(IPAddress a)
    {
        if (a.IsIPv4MappedToIPv6) a = a.MapToIPv4();
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
            if (a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || a.IsIPv6UniqueLocal) return AddressKind.Private;
            var b = a.GetAddressBytes();
            return b switch
            {
                [0x20, 0x01, 0x0d, 0xb8, ..] => AddressKind.Never,              // documentation
                [0x00, 0x64, 0xff, 0x9b, ..] => AddressKind.Never,              // NAT64 can reach IPv4 insides
                [0x20, 0x02, ..] => AddressKind.Never,                          // 6to4 (2002::/16) embeds any IPv4 address
                [0x20, 0x01, 0x00, 0x00, ..] => AddressKind.Never,              // Teredo (2001::/32) tunnels to IPv4
                [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ..] => AddressKind.Never,  // ::/96, IPv4-compatible
                _ => AddressKind.Public,
            };
        }

        return AddressKind.Never;
    }
}

/// <summary>A connection was not made because the address is in a forbidden range.</summary>
public sealed class RefusedAddressException(string message) : IOException(message);

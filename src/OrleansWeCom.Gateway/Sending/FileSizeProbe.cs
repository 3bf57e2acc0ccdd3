using Microsoft.Extensions.Options;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Net;

namespace OrleansWeCom.Gateway.Sending;

/// <summary>Learns a referenced file's size (for the gif and video limits) without downloading it.</summary>
public interface IFileSizeProbe
{
    /// <summary>The size, or null when it cannot be learnt; an <see cref="ApiError"/> (400) for a URL that may not be fetched.</summary>
    Task<long?> TryGetSizeAsync(string url, CancellationToken cancellationToken);
}

/// <summary>Where the gateway may look at files a tenant's send refers to (section <c>Gateway:FileProbe</c>).</summary>
public sealed class FileProbeOptions
{
    /// <summary>Let a fileUrl resolve to this machine (the embedded run's emulator serves files on loopback).</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Let a fileUrl resolve to private, link-local or carrier-grade NAT ranges.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>The whole probe, connection included; past it the size is unknown and the host enforces the limit.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>
/// Asks with HEAD (then GET, headers only) for absolute URLs; relative paths live on the host, which enforces the limits
/// itself. A tenant chooses the URL, so the guard refuses our own networks before the request and on the connection, no
/// redirect is followed, no body is read, and the time is bounded.
/// </summary>
public sealed class HttpFileSizeProbe(IHttpClientFactory clients, OutboundGuard guard, IOptions<FileProbeOptions> options) : IFileSizeProbe
{
    public const string ClientName = "wecom-file-size";

    public async Task<long?> TryGetSizeAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        string? refusal;
        try
        {
            refusal = await guard.CheckAsync(url, cancellationToken: timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            refusal = $"host '{uri.Host}' did not resolve in time";
        }

        if (refusal is not null) throw ApiError.BadRequest($"fileUrl refused: {refusal}");
        try
        {
            var client = clients.CreateClient(ClientName);
            using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, uri), HttpCompletionOption.ResponseHeadersRead, timeout.Token))
                if (head.IsSuccessStatusCode) return head.Content.Headers.ContentLength;
            // Some servers answer GET only: read the headers and drop the body.
            using var get = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, uri), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return get.IsSuccessStatusCode ? get.Content.Headers.ContentLength : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}

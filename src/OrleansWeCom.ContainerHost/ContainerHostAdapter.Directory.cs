using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansWeCom.ContainerHost.Api;
using Refit;

namespace OrleansWeCom.ContainerHost;

/// <summary>The directory calls (contacts, rooms, labels, ids), uploads and downloads: the seed's JSON passed through.</summary>
public sealed partial class ContainerHostAdapter
{
    public async Task<string?> CallAsync(string hostKey, HostCall call, CancellationToken cancellationToken)
    {
        var path = call.Path.TrimStart('/');
        using var body = new StringContent(call.BodyJson ?? "{}", Encoding.UTF8, "application/json");
        // The host is looked up inside Call, which answers a host no longer configured as not found rather than 500.
        var response = await Call(() =>
        {
            var api = registry.Get(hostKey);
            return call.Method.ToUpperInvariant() switch
            {
                "GET" => api.GetRawAsync(path, call.Query.ToDictionary(p => p.Name, p => p.Value), cancellationToken),
                "POST" => api.PostRawAsync(path, body, cancellationToken),
                "PUT" => api.PutRawAsync(path, body, cancellationToken),
                "DELETE" => api.DeleteRawAsync(path, body, cancellationToken),
                _ => throw new WeComException(ErrorCodes.BadRequest, $"method {call.Method} is not a host method"),
            };
        });
        return response.Data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : response.Data.GetRawText();
    }

    public async Task<string> UploadAsync(string hostKey, Stream content, string fileName, string contentType, CancellationToken cancellationToken)
    {
        var response = await Call(() => registry.Get(hostKey).UploadFileAsync(new StreamPart(content, fileName, contentType), cancellationToken));
        return response.Data is { Length: > 0 } path ? path : throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' answered the upload without a path");
    }

    public async Task<HostFile> DownloadFileAsync(string hostKey, string path, CancellationToken cancellationToken)
    {
        var host = registry.Hosts.FirstOrDefault(h => h.Name == hostKey) ?? throw WeComException.NotFound($"container host '{hostKey}' is not configured");
        // Files live beside the openAPI: http://host/gnapi/files/… while the API is http://host/gnapi/open/….
        var origin = new Uri(host.OpenApiBase.GetLeftPart(UriPartial.Authority));
        // A path that names another authority (//other-host/x, /\other-host) would carry the host's key elsewhere.
        if (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Contains('\\') || path.Contains("..", StringComparison.Ordinal)
            || !Uri.TryCreate(origin, path, out var fileUri) || fileUri.GetLeftPart(UriPartial.Authority) != origin.GetLeftPart(UriPartial.Authority))
            throw new WeComException(ErrorCodes.HostError, "the host gave an unexpected file path");
        // Files are not enveloped, so they bypass the openAPI client's envelope checks.
        using var request = new HttpRequestMessage(HttpMethod.Get, fileUri);
        request.Headers.TryAddWithoutValidation("apikey", hostOptions.Value.Hosts.FirstOrDefault(h => h.Name == hostKey)?.ApiKey);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient("container-host-files").SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new WeComException(ErrorCodes.HostUnavailable, $"container host '{hostKey}' unreachable: {e.Message}");
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            response.Dispose();
            if (status == HttpStatusCode.NotFound) throw WeComException.NotFound("the file is no longer on the host");
            throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' answered {(int)status} for the file");
        }

        var headers = response.Content.Headers;
        return new HostFile(await response.Content.ReadAsStreamAsync(cancellationToken), headers.ContentType?.ToString() ?? "application/octet-stream", headers.ContentLength);
    }
}

using System.Net;
using System.Text;
using OrleansWeCom.ContainerHost.Api;
using OrleansWeCom.ContainerHost.Registry;

namespace OrleansWeCom.ContainerHost;

/// <summary>
/// The grains' host contract over the Refit clients and their resilience pipelines. Host failures become
/// <see cref="WeComException"/>s with codes the gateway maps to statuses: the host's own refusals to 400, an
/// unreachable or broken host to 502.
/// </summary>
public sealed class ContainerHostAdapter(IContainerHostRegistry registry, IHttpClientFactory clients, Microsoft.Extensions.Options.IOptions<ContainerHostsOptions> hostOptions) : IContainerHosts, IContainerHostSender
{
    public Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken) =>
        Call(() => registry.PickHostForNewContainerAsync(cancellationToken));

    public async Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken)
    {
        var response = await Call(() => registry.Get(hostKey).CreateContainerAsync(new CreateContainerRequest { UserId = userId }, cancellationToken));
        var data = response.Data ?? throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' answered create without data");
        if (string.IsNullOrEmpty(data.HostName) || string.IsNullOrEmpty(data.QrCode))
            throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' answered create without hostname or qrcode");
        return new HostCreatedContainer(data.HostName, data.QrCode, data.Version, data.CreateTime, data.WxPid);
    }

    public async Task<OrleansWeCom.VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken)
    {
        var response = await Call(() => registry.Get(hostKey).VerifyContainerAsync(new VerifyContainerRequest { HostName = hostName, Key = key, Code = code }, cancellationToken));
        return new OrleansWeCom.VerifyResult(response.Data?.ErrCode ?? -1, response.Data?.ErrMsg ?? "");
    }

    public Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        Call(() => registry.Get(hostKey).StopContainerAsync(Names(hostName), cancellationToken));

    public Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        Call(() => registry.Get(hostKey).StartContainerAsync(Names(hostName), cancellationToken));

    public Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        Call(() => registry.Get(hostKey).RemoveContainerAsync(Names(hostName), cancellationToken));

    public Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        Call(() => registry.Get(hostKey).RestartContainerAsync(Names(hostName), cancellationToken));

    public async Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken)
    {
        var response = await Call(() => registry.Get(hostKey).GetWeComAccountsAsync(null, false, [hostName], cancellationToken));
        var account = response.Data?.FirstOrDefault(a => string.Equals(a.HostName, hostName, StringComparison.OrdinalIgnoreCase));
        return account is null ? null : new HostContainerStatus(account.Status, account.QrCode, account.WxId);
    }

    public async Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken)
    {
        var response = await Call(() => registry.Get(hostKey).GetContainerMemoryAsync(cancellationToken));
        return (response.Data ?? []).Where(m => m.HostName is not null)
            .Select(m => new HostContainerMemory(m.WxId, m.UserName, m.HostName!, m.WxPid, m.Memory)).ToList();
    }

    public async Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken)
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

        if (response.StatusCode == HttpStatusCode.NotFound) throw WeComException.NotFound("the QR code is no longer on the host");
        if (!response.IsSuccessStatusCode) throw new WeComException(ErrorCodes.HostError, $"container host '{hostKey}' answered {(int)response.StatusCode} for the file");
        return (await response.Content.ReadAsStreamAsync(cancellationToken), response.Content.Headers.ContentType?.ToString() ?? "image/jpeg");
    }

    public async Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
    {
        using var content = new StringContent(bodyJson, Encoding.UTF8, "application/json");
        HostResponse<SendResult> response;
        try
        {
            // Not resumed on the calling grain's scheduler: the send clock stamps the answer where it arrives.
            response = await Call(() => registry.Get(hostKey).SendRawAsync(path, content, cancellationToken), isSend: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (WeComException or SendOutcomeUnknownException) && !cancellationToken.IsCancellationRequested)
        {
            // Past the pipeline, after the request had left: the HTTP client's own deadline, or an answer that does not
            // read as a send's result.
            throw new SendOutcomeUnknownException($"container host '{hostKey}' gave no usable answer to {path}: {e.Message}", e);
        }

        return response.Data?.MsgId is { Length: > 0 } msgId
            ? msgId
            : throw new SendOutcomeUnknownException($"container host '{hostKey}' accepted the send without a msgId");
    }

    /// <summary>
    /// Whether a failed send may have been carried out: the request may have reached the host and nothing says it was
    /// refused. A host's refusal (an envelope with a code, a 4xx, a 503) and a request that never left are not.
    /// </summary>
    public static bool OutcomeUnknown(ContainerHostException e) => e.MayHaveReachedHost && e.Kind switch
    {
        ContainerHostErrorKind.Timeout or ContainerHostErrorKind.Unreachable or ContainerHostErrorKind.InvalidResponse => true,
        ContainerHostErrorKind.HttpError => e.HttpStatus is { } s && (int)s >= 500 && s != HttpStatusCode.ServiceUnavailable,
        _ => false,
    };

    private static HostNamesRequest Names(string hostName) => new() { HostName = [hostName] };

    /// <summary>
    /// Runs a host call, turning its failures into <see cref="WeComException"/>s; a send's failure that may have been
    /// carried out becomes a <see cref="SendOutcomeUnknownException"/> instead.
    /// </summary>
    private static async Task<T> Call<T>(Func<Task<T>> call, bool isSend = false)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ContainerHostException e) when (isSend && OutcomeUnknown(e))
        {
            throw new SendOutcomeUnknownException($"no answer to the send: {e.Message}", e);
        }
        catch (ContainerHostException e)
        {
            throw Translate(e);
        }
        catch (ArgumentException e)
        {
            throw WeComException.NotFound(e.Message);
        }
    }

    private static WeComException Translate(ContainerHostException e) => e.Kind switch
    {
        ContainerHostErrorKind.HostError => new WeComException(ErrorCodes.BadRequest, $"the container host refused: {e.Msg ?? e.Message}"),
        ContainerHostErrorKind.HttpError when e.HttpStatus is { } s && (int)s is >= 400 and < 500 && s != HttpStatusCode.RequestTimeout && s != HttpStatusCode.TooManyRequests =>
            new WeComException(s == HttpStatusCode.NotFound ? ErrorCodes.NotFound : s == HttpStatusCode.Conflict ? ErrorCodes.InvalidState : ErrorCodes.BadRequest,
                $"the container host refused: {e.Msg ?? e.Message}"),
        ContainerHostErrorKind.NoHostAvailable => new WeComException(ErrorCodes.HostUnavailable, "no container host has room or answers right now"),
        _ => new WeComException(ErrorCodes.HostUnavailable, $"container host unavailable: {e.Message}"),
    };
}

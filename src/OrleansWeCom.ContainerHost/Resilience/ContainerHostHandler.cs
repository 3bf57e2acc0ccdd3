using System.Collections.Frozen;
using System.Net;
using System.Reflection;
using System.Text.Json;
using OrleansWeCom.ContainerHost.Api;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Refit;

namespace OrleansWeCom.ContainerHost.Resilience;

/// <summary>
/// Runs every request to one host through that host's pipelines and turns every failure into a
/// <see cref="ContainerHostException"/>: transport faults, non-2xx answers and envelopes with <c>code</c> != 0.
/// </summary>
internal sealed class ContainerHostHandler(HostPipelines pipelines) : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<string> MethodNameKey = new(HttpRequestMessageOptions.MethodName);

    private static readonly FrozenSet<string> RetryOnlyIfUnsentMethods = typeof(IContainerHostApi)
        .GetMethods()
        .Where(m => m.GetCustomAttribute<RetryOnlyIfUnsentAttribute>() is not null)
        .Select(m => m.Name)
        .ToFrozenSet();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = RelativePath(request);
        request.Options.Set(RefitSettingsFactory.HostNameKey, pipelines.Name);
        var pipeline = IsRetryOnlyIfUnsent(request) ? pipelines.RetryOnlyIfUnsent : pipelines.Idempotent;

        // Retries send the same message again; a buffered body can be read once per attempt.
        if (request.Content is not null)
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);

        HttpResponseMessage response;
        try
        {
            response = await pipeline.ExecuteAsync(
                static (state, token) => new ValueTask<HttpResponseMessage>(state.Handler.SendOnceAsync(state.Request, token)),
                (Handler: this, Request: request),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && Translate(exception, path) is { } translated)
        {
            throw translated;
        }

        try
        {
            await EnsureSuccessAsync(response, path, cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        base.SendAsync(request, cancellationToken);

    private static bool IsRetryOnlyIfUnsent(HttpRequestMessage request) =>
        request.Options.TryGetValue(MethodNameKey, out var method)
            ? RetryOnlyIfUnsentMethods.Contains(method)
            // Not a call of IContainerHostApi: only reads are known to be safe to repeat.
            : request.Method != HttpMethod.Get && request.Method != HttpMethod.Head;

    private ContainerHostException? Translate(Exception exception, string path) => exception switch
    {
        ContainerHostException => null,
        BrokenCircuitException e => new ContainerHostException(
            ContainerHostErrorKind.CircuitOpen, $"Container host '{pipelines.Name}' is unavailable (circuit open); {path} was not sent.",
            pipelines.Name, path, isTransient: true, mayHaveReachedHost: false, innerException: e),
        TimeoutRejectedException e => new ContainerHostException(
            ContainerHostErrorKind.Timeout, $"Container host '{pipelines.Name}' did not answer {path} in time.",
            pipelines.Name, path, isTransient: true, mayHaveReachedHost: true, innerException: e),
        HttpRequestException e => new ContainerHostException(
            ContainerHostErrorKind.Unreachable, $"Container host '{pipelines.Name}' failed on {path}: {e.Message}",
            pipelines.Name, path, isTransient: true, mayHaveReachedHost: !HostPipelines.CertainlyUnsent(e), innerException: e),
        _ => null,
    };

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var status = response.StatusCode;
            var (code, msg) = TryReadEnvelope(await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false));
            throw new ContainerHostException(
                ContainerHostErrorKind.HttpError, $"Container host '{pipelines.Name}' answered {path} with HTTP {(int)status}{(msg is null ? "" : ": " + msg)}.",
                pipelines.Name, path, code, msg, status, isTransient: HostPipelines.IsTransientStatus(status));
        }

        var body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        var (envelopeCode, envelopeMsg) = TryReadEnvelope(body);
        if (envelopeCode is null)
        {
            throw new ContainerHostException(
                ContainerHostErrorKind.InvalidResponse, $"Container host '{pipelines.Name}' answered {path} without the {{code, msg, data}} envelope.",
                pipelines.Name, path, httpStatus: response.StatusCode);
        }

        if (envelopeCode != 0)
        {
            throw new ContainerHostException(
                ContainerHostErrorKind.HostError, $"Container host '{pipelines.Name}' refused {path}: code {envelopeCode} {envelopeMsg}".TrimEnd(),
                pipelines.Name, path, envelopeCode, envelopeMsg, response.StatusCode,
                isTransient: envelopeCode == ContainerHostException.RateLimitedCode);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Buffered so that Refit can read the same body again to deserialize it.
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The envelope's code and msg, names matched without regard to case; code null when it is no envelope.</summary>
    private static (int? Code, string? Msg) TryReadEnvelope(byte[] body)
    {
        if (body.Length == 0)
            return (null, null);
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, null);
            int? code = null;
            string? msg = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("code") || string.Equals(property.Name, "code", StringComparison.OrdinalIgnoreCase))
                {
                    code = property.Value.ValueKind switch
                    {
                        JsonValueKind.Number when property.Value.TryGetInt32(out var n) => n,
                        JsonValueKind.String when int.TryParse(property.Value.GetString(), out var s) => s,
                        _ => code,
                    };
                }
                else if (string.Equals(property.Name, "msg", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                {
                    msg = property.Value.GetString();
                }
            }

            return (code, string.IsNullOrEmpty(msg) ? null : msg);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The path below <c>/gnapi/open/</c>, for messages and logs.</summary>
    private static string RelativePath(HttpRequestMessage request)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        const string root = "/gnapi/open/";
        var at = path.IndexOf(root, StringComparison.OrdinalIgnoreCase);
        return at >= 0 ? path[(at + root.Length)..] : path.TrimStart('/');
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using OrleansWeCom.Net;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>How one POST ended.</summary>
public readonly record struct DeliveryOutcome(bool Success, int? Status, TimeSpan? RetryAfter, string? Error);

/// <summary>POSTs one signed envelope. Connections are made only to addresses the guard allows; redirects are not followed.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptionsMonitor<WebhookOptions> options, TimeProvider time)
{
    public const string ClientName = "wecom-webhooks";

    /// <summary>
    /// POSTs inside a span continuing <paramref name="traceParent"/> (the trace of the callback that produced the event),
    /// so the HTTP call and its <c>traceparent</c> header belong to that trace.
    /// </summary>
    public async Task<DeliveryOutcome> SendAsync(string url, byte[] key, string webhookId, byte[] body, string? traceParent = null, CancellationToken cancellationToken = default)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        using var activity = WeComTelemetry.Activities.StartActivity("wecom.webhook.deliver", ActivityKind.Internal, parent);
        activity?.SetTag("wecom.webhook.id", webhookId);
        var outcome = await PostAsync(url, key, webhookId, body, cancellationToken);
        if (activity is not null && !outcome.Success) activity.SetStatus(ActivityStatusCode.Error, outcome.Error);
        return outcome;
    }

    private async Task<DeliveryOutcome> PostAsync(string url, byte[] key, string webhookId, byte[] body, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("webhook-id", webhookId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(key, webhookId, timestamp, body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CurrentValue.RequestTimeout);
        var started = time.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            WeComTelemetry.WebhookLatency.Record(time.GetElapsedTime(started).TotalMilliseconds);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return new DeliveryOutcome(true, status, null, null);
            TimeSpan? retryAfter = status is 429 or 503 ? RetryAfter(response.Headers.RetryAfter) : null;
            return new DeliveryOutcome(false, status, retryAfter, $"HTTP {status}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome(false, null, null, $"no answer within {options.CurrentValue.RequestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome(false, null, null, e.InnerException is RefusedAddressException refused ? refused.Message : e.Message);
        }
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - time.GetUtcNow();
        return null;
    }

    /// <summary>The handler of the named client: resolves, checks every address, connects only to an allowed one.</summary>
    public static SocketsHttpHandler CreateHandler(WebhookUrlGuard guard, WebhookOptions options) =>
        guard.Guard.CreateHandler(options.RequestTimeout, options.MaxConcurrency);
}

using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Gateway.Callbacks;

/// <summary><c>POST /callbacks/{hostName}</c>: where container hosts post every callback.</summary>
public static partial class CallbackEndpoints
{
    public static IEndpointRouteBuilder MapCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/callbacks/{hostName}", IngestAsync);
        return app;
    }

    private static async Task<IResult> IngestAsync(string hostName, HttpContext http, CallbackInbox inbox, IOptions<CallbackOptions> options, ILoggerFactory loggers)
    {
        var o = options.Value;
        if (!Authenticated(hostName, http.Request, o))
            return Envelope.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "missing or invalid host token");

        var body = await ReadAsync(http.Request, o.MaxBodyBytes);
        if (body is null)
            return Envelope.Error(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"callback body exceeds {o.MaxBodyBytes} bytes");
        if (!CallbackParser.TryParse(body, out var envelope, out var error))
            return Envelope.Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, error);

        // The callback's trace starts here (under the request's span): stored with the row, it is continued by the
        // router that applies the callback and by the webhook delivery of the tenant's event.
        using var activity = WeComTelemetry.Activities.StartActivity("wecom.callback", ActivityKind.Internal);
        activity?.SetTag("wecom.callback.msg_id", envelope.MsgId);
        activity?.SetTag("wecom.callback.type", envelope.Type);
        activity?.SetTag("wecom.host", hostName);
        var stream = CallbackStreams.KeyOf(envelope);
        var incoming = new IncomingCallback(envelope.MsgId, envelope.ServerKey, hostName, envelope.Source.Value, envelope.Type, Encoding.UTF8.GetString(body),
            stream, CallbackStreams.QueueOf(stream, o.StreamQueues), Activity.Current?.Id);
        StoreOutcome outcome;
        try
        {
            outcome = await inbox.StoreAsync(incoming, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStoreFailed(loggers.CreateLogger(typeof(CallbackEndpoints)), e, hostName, envelope.MsgId);
            // Not acknowledged: the host posts it again.
            return Envelope.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.Internal, "the callback could not be stored; retry");
        }

        WeComTelemetry.CallbacksIngested.Add(1, new KeyValuePair<string, object?>("outcome", outcome == StoreOutcome.Duplicate ? "duplicate" : "stored"));
        return Envelope.Ok(new { msgId = envelope.MsgId, duplicate = outcome == StoreOutcome.Duplicate });
    }

    /// <summary>The host's token as <c>?token=</c> (hosts only let you configure a URL) or <c>Authorization: Bearer</c>.</summary>
    private static bool Authenticated(string hostName, HttpRequest request, CallbackOptions o)
    {
        if (!o.HostTokens.TryGetValue(hostName, out var expected) || string.IsNullOrEmpty(expected)) return false;
        string? presented = request.Query["token"];
        if (string.IsNullOrEmpty(presented))
        {
            var header = request.Headers.Authorization.ToString();
            if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) presented = header["Bearer ".Length..].Trim();
        }

        return !string.IsNullOrEmpty(presented)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }

    /// <summary>The body, or null when it exceeds <paramref name="max"/>. A declared length is read straight into one array.</summary>
    private static async Task<byte[]?> ReadAsync(HttpRequest request, long max)
    {
        var ct = request.HttpContext.RequestAborted;
        if (request.ContentLength is { } length)
        {
            if (length > max) return null;
            var body = new byte[length];
            // Kestrel ends the body at Content-Length, or fails the request if the client sends less.
            await request.Body.ReadExactlyAsync(body, ct);
            return body;
        }

        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > max) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback {MsgId} from host {HostName} could not be stored")]
    private static partial void LogStoreFailed(ILogger logger, Exception e, string hostName, string msgId);
}

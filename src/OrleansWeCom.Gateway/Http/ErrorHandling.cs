using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;

namespace OrleansWeCom.Gateway.Http;

/// <summary>Turns every failure into the envelope with a fitting status: never a bare 500 page, never a stack trace.</summary>
public sealed partial class EnvelopeExceptionHandler(ILogger<EnvelopeExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, message) = Classify(exception);
        // A cluster that is briefly unreachable (a silo lost, a call timed out) is answered 503/504 and expected in a
        // rolling restart; only a failure nothing classified is an error.
        if (status == 500) LogUnhandled(logger, context.Request.Method, context.Request.Path, exception);
        else if (status >= 500) LogUnavailable(logger, context.Request.Method, context.Request.Path, status, exception.GetType().Name, exception.Message);
        if (context.Response.HasStarted) return false;
        await Envelope.WriteErrorAsync(context, status, code, message);
        return true;
    }

    internal static (int Status, int Code, string Message) Classify(Exception exception) => exception switch
    {
        ApiError e => (e.Status, e.Code, e.Message),
        WeComException e => (ApiError.StatusFor(e.Code), e.Code, e.Message),
        BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge =>
            (413, ErrorCodes.PayloadTooLarge, "request body too large"),
        BadHttpRequestException e => (400, ErrorCodes.BadRequest, Describe(e)),
        System.Text.Json.JsonException e => (400, ErrorCodes.BadRequest, $"malformed JSON: {e.Message}"),
        TimeoutException => (504, ErrorCodes.HostUnavailable, "the request timed out inside the cluster; retry"),
        SiloUnavailableException or OrleansMessageRejectionException =>
            (503, ErrorCodes.HostUnavailable, "the cluster is not available right now; retry"),
        // A gateway silo that knows of no worker silo yet (none has joined, or its manifest has not arrived).
        ArgumentException e when e.Message.StartsWith("Could not find an implementation for interface", StringComparison.Ordinal) =>
            (503, ErrorCodes.HostUnavailable, "no worker silo is available right now; retry"),
        OperationCanceledException => (499, ErrorCodes.BadRequest, "the request was cancelled"),
        _ => (500, ErrorCodes.Internal, "internal error"),
    };

    private static string Describe(BadHttpRequestException e) =>
        e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered {Status}: {Kind}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, int status, string kind, string reason);
}

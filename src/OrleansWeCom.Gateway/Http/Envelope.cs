using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.Gateway.Http;

/// <summary>Writes the seed's envelope and reads request bodies leniently about names, strictly about shape.</summary>
public static class Envelope
{
    /// <summary>Parameter names are case-insensitive, as the seed promises; numbers may come quoted.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public const long MaxJsonBody = 1024 * 1024;

    public static IResult Ok<T>(T? data) => Results.Json(ApiEnvelope<T>.Ok(data), Json);

    public static IResult Ok() => Results.Json(ApiEnvelope<object>.Ok(null), Json);

    /// <summary>The envelope around <c>data</c> that is already JSON text (a host's answer passed through unchanged).</summary>
    public static IResult Raw(string? dataJson) =>
        Results.Text($"{{\"msg\":\"\",\"code\":0,\"data\":{dataJson ?? "null"}}}", "application/json; charset=utf-8");

    public static IResult Error(int status, int code, string message) =>
        Results.Json(new ApiEnvelope<object>(message, code, null), Json, statusCode: status);

    public static Task WriteErrorAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiEnvelope<object>(message, code, null), Json);
    }

    /// <summary>Reads a JSON body, answering 400 (malformed, wrong types, missing) or 413 (too large) in the envelope.</summary>
    public static async Task<T> ReadBodyAsync<T>(HttpRequest request) where T : class
    {
        if (request.ContentLength is > MaxJsonBody)
            throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"request body exceeds {MaxJsonBody} bytes");

        if (!request.HasJsonContentType() && request.ContentLength is > 0 && request.ContentType is not null)
            throw ApiError.BadRequest($"expected a JSON body (Content-Type: application/json), got '{request.ContentType}'");

        using var limited = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted)) > 0)
        {
            if (limited.Length + read > MaxJsonBody)
                throw new ApiError(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"request body exceeds {MaxJsonBody} bytes");
            limited.Write(buffer, 0, read);
        }

        if (limited.Length == 0) throw ApiError.BadRequest("a JSON request body is required");
        limited.Position = 0;
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(limited, Json) ?? throw ApiError.BadRequest("the request body must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            throw ApiError.BadRequest($"malformed JSON{where}: {FirstSentence(e.Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

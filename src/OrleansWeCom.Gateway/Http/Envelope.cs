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

        var body = await ReadLimitedAsync(request, MaxJsonBody);
        if (body.Length == 0) throw ApiError.BadRequest("a JSON request body is required");
        using var limited = new MemoryStream(body, writable: false);
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

    /// <summary>
    /// The body, refused with 413 once it passes <paramref name="max"/>: a declared length before a byte is read, a
    /// chunked body as soon as the bytes read so far pass the limit, so no request holds more than the limit in memory.
    /// </summary>
    public static async Task<byte[]> ReadLimitedAsync(HttpRequest request, long max)
    {
        if (request.ContentLength is { } declared && declared > max) throw TooLarge(max);
        // Kestrel then stops the read itself past the limit, whatever the code below does with it.
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature
            && (feature.MaxRequestBodySize is null || feature.MaxRequestBodySize > max))
            feature.MaxRequestBodySize = max;
        var ct = request.HttpContext.RequestAborted;
        if (request.ContentLength is { } length)
        {
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, ct);
            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > max) throw TooLarge(max);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(max);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static ApiError TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"request body exceeds {max} bytes");

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

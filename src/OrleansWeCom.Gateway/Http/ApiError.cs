namespace OrleansWeCom.Gateway.Http;

/// <summary>Thrown by endpoint code to answer with the envelope, a non-zero code and a fitting HTTP status.</summary>
public sealed class ApiError(int status, int code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public int Code { get; } = code;

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message);
    public static ApiError NotFound(string message) => new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, message);
    public static ApiError NotSupported(string message) => new(StatusCodes.Status501NotImplemented, ErrorCodes.NotSupported, message);
    public static ApiError Unauthorized(string message) => new(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, message);

    /// <summary>The HTTP status that goes with an envelope code raised inside a grain.</summary>
    public static int StatusFor(int code) => code switch
    {
        ErrorCodes.BadRequest => StatusCodes.Status400BadRequest,
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Conflict or ErrorCodes.InvalidState => StatusCodes.Status409Conflict,
        ErrorCodes.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.IdempotencyKeyReused => StatusCodes.Status422UnprocessableEntity,
        ErrorCodes.QueueFull => StatusCodes.Status429TooManyRequests,
        ErrorCodes.HostUnavailable or ErrorCodes.HostError => StatusCodes.Status502BadGateway,
        ErrorCodes.NotSupported => StatusCodes.Status501NotImplemented,
        _ => StatusCodes.Status500InternalServerError,
    };
}

using System.Text.Json.Serialization;

namespace OrleansWeCom;

/// <summary>The seed's response envelope: <c>{"msg":"","code":0,"data":…}</c> on every response.</summary>
public sealed record ApiEnvelope<T>(
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("data")] T? Data)
{
    public static ApiEnvelope<T> Ok(T? data) => new("", ErrorCodes.Ok, data);
}

/// <summary>Error codes in the envelope. The HTTP status goes with them; the code tells the cause.</summary>
public static class ErrorCodes
{
    public const int Ok = 0;
    public const int BadRequest = 40000;
    public const int Unauthorized = 40100;
    public const int Forbidden = 40300;
    public const int NotFound = 40400;
    public const int Conflict = 40900;
    public const int InvalidState = 40901;
    public const int PayloadTooLarge = 41300;
    /// <summary>An idempotency key the tenant already used for a different request.</summary>
    public const int IdempotencyKeyReused = 42201;
    public const int QueueFull = 42901;
    public const int HostUnavailable = 50201;
    public const int HostError = 50202;
    public const int Internal = 50000;

    /// <summary>A feature of another vendor's API that the seed-000 host has no call for.</summary>
    public const int NotSupported = 50100;
}

/// <summary>
/// A failure a grain reports to its caller in words the tenant can act on. Carries the envelope code; the gateway
/// maps it to an HTTP status.
/// </summary>
[GenerateSerializer, Alias("OrleansWeCom.WeComException")]
public sealed class WeComException : Exception
{
    public WeComException(int code, string message) : base(message) => Code = code;

    [Id(0)] public int Code { get; }

    public static WeComException NotFound(string message) => new(ErrorCodes.NotFound, message);
    public static WeComException BadRequest(string message) => new(ErrorCodes.BadRequest, message);
    public static WeComException InvalidState(string message) => new(ErrorCodes.InvalidState, message);
}

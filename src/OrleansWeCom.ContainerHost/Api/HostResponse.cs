using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>The seed's envelope <c>{"msg":"","code":0,"data":…}</c> for calls whose <c>data</c> is <c>null</c>.</summary>
/// <remarks>
/// A response that reaches a caller always has <see cref="Code"/> 0: any other code is turned into a
/// <see cref="ContainerHostException"/> by the client pipeline before Refit deserializes it.
/// </remarks>
public class HostResponse
{
    [JsonPropertyName("code")]
    public int Code { get; init; }

    [JsonPropertyName("msg")]
    public string? Msg { get; init; }
}

/// <summary>The seed's envelope with a typed <c>data</c>.</summary>
public sealed class HostResponse<T> : HostResponse
{
    [JsonPropertyName("data")]
    public T? Data { get; init; }
}

/// <summary><c>data</c> of every send: the host's id of the accepted message, echoed later as the callback's <c>sendMsgId</c>.</summary>
public sealed record SendResult
{
    [JsonPropertyName("msgId")]
    public string? MsgId { get; init; }
}

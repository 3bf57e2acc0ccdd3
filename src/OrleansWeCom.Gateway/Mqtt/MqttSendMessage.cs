using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Gateway.Mqtt;

public static class MqttTopics
{
    /// <summary>Clients publish sends here.</summary>
    public const string Send = "SendMessage";

    /// <summary>Clients subscribe here for their own replies.</summary>
    public const string Reply = "SendMessageResp";
}

/// <summary>
/// The seed's SendMessage payload: the HTTP body's fields plus <c>type</c> and <c>id</c>. Replies are
/// <c>{"id","msgId"}</c>, or <c>{"id","msgId":null,"code","msg"}</c> when the message is refused.
/// </summary>
public static class MqttSendMessage
{
    public const int MaxIdLength = 128;

    private const string TypeNames = "text, image, personCard, link, file, video, miniProgram, roomAt, gif, videoNum";

    public static JsonObject ParseBody(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty) throw ApiError.BadRequest("the SendMessage payload is empty; a JSON object is required");
        return SendRequestParser.ParseObject(payload);
    }

    /// <summary>The <c>id</c> as the client sent it, to echo it back in the reply even when the rest is wrong.</summary>
    public static JsonNode? IdOf(JsonObject body) => body["id"] is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number
        ? value
        : null;

    /// <summary>The idempotency key and the kind of send; refuses what cannot be routed.</summary>
    public static (string IdempotencyKey, SendKind Kind) Route(JsonObject body)
    {
        var key = body["id"] switch
        {
            null => throw ApiError.BadRequest("id is required: a unique value that the reply carries back"),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.GetValueKind() is JsonValueKind.Number => v.ToJsonString(),
            _ => throw ApiError.BadRequest("id must be a string or a number"),
        };
        if (string.IsNullOrWhiteSpace(key)) throw ApiError.BadRequest("id must not be empty");
        if (key.Length > MaxIdLength) throw ApiError.BadRequest($"id is longer than {MaxIdLength} characters");

        var type = body["type"] switch
        {
            null => throw ApiError.BadRequest($"type is required: one of {TypeNames}"),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw ApiError.BadRequest("type must be a string"),
        };
        if (!SendKinds.TryParseMqttType(type, out var kind))
            throw ApiError.BadRequest($"type '{type}' is unknown: use one of {TypeNames}");
        return (key, kind);
    }

    public static byte[] Accepted(JsonNode? id, string msgId) =>
        Serialize(new JsonObject { ["id"] = id?.DeepClone(), ["msgId"] = msgId });

    public static byte[] Refused(JsonNode? id, int code, string message) =>
        Serialize(new JsonObject { ["id"] = id?.DeepClone(), ["msgId"] = null, ["code"] = code, ["msg"] = message });

    private static byte[] Serialize(JsonObject reply) => Encoding.UTF8.GetBytes(reply.ToJsonString(Envelope.Json));
}

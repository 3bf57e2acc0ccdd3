using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansWeCom.Webhooks;

/// <summary>
/// Writes an event in the seed's callback envelope, <c>{msgId, source, userId, wxid, timestamp, type, data,
/// sendMsgId}</c>, with <c>data</c> as raw JSON and our additive <c>seq</c>.
/// </summary>
public static class EventEnvelope
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    public static byte[] Serialize(TenantEvent e, long? seq)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + (e.DataJson?.Length ?? 0));
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Write(writer, e, seq);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Utf8JsonWriter w, TenantEvent e, long? seq)
    {
        w.WriteStartObject();
        w.WriteString("msgId", e.MsgId);
        w.WriteString("source", e.Source);
        w.WriteString("userId", e.UserId);
        w.WriteString("wxid", e.WxId);
        w.WriteNumber("timestamp", e.Timestamp);
        w.WriteString("type", e.Type);
        w.WritePropertyName("data");
        WriteData(w, e);
        // The seed sends sendMsgId only on the results of sends made through the API.
        if (e.SendMsgId is not null) w.WriteString("sendMsgId", e.SendMsgId);
        if (seq is { } s) w.WriteNumber("seq", s);
        w.WriteEndObject();
    }

    private static void WriteData(Utf8JsonWriter w, TenantEvent e)
    {
        if (string.IsNullOrWhiteSpace(e.DataJson))
        {
            w.WriteNullValue();
            return;
        }

        if (e.SendMsgId is null)
        {
            try
            {
                w.WriteRawValue(e.DataJson); // validated before anything is written
            }
            catch (JsonException)
            {
                // Never drop an event because a producer handed us text that is not JSON: deliver it as a string.
                w.WriteStringValue(e.DataJson);
            }

            return;
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(e.DataJson);
        }
        catch (JsonException)
        {
            w.WriteStringValue(e.DataJson);
            return;
        }

        // A send through our API is marked as the seed marks it, inside data, when the host did not already.
        if (node is JsonObject obj && !obj.ContainsKey("isOpenApi"))
            obj["isOpenApi"] = true;
        if (node is null) w.WriteNullValue();
        else node.WriteTo(w);
    }
}

using System.Text.Json;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace OrleansWeCom;

/// <summary>
/// Validates a send body of any kind up front, with the seed's rules, and turns it into the host request body.
/// The one validation of HTTP, MQTT and the cluster client's facade: all three refuse the same send with the same
/// <see cref="WeComException"/> (code and message), which each edge passes on in its own envelope.
/// </summary>
public static class SendRequestParser
{
    public const long GifMaxBytes = 5L * 1024 * 1024;
    public const long VideoMaxBytes = 50L * 1024 * 1024;
    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    public sealed record ParsedSend(WxId WxId, OutboundMessage Message);

    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var body = JsonNode.Parse(utf8, CaseInsensitive) as JsonObject ?? throw WeComException.BadRequest("the request body must be a JSON object");
            RefuseDuplicateNames(body);
            return body;
        }
        catch (JsonException e)
        {
            throw WeComException.BadRequest($"malformed JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Names are case-insensitive, so <c>wxId</c> and <c>WXID</c> in one object are one name given twice. A JSON object
    /// builds its members when first read: read them all here, so a repeat is a 400 now rather than a failure later.
    /// </summary>
    private static void RefuseDuplicateNames(JsonNode? node)
    {
        try
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, value) in o) RefuseDuplicateNames(value);
                    break;
                case JsonArray a:
                    foreach (var item in a) RefuseDuplicateNames(item);
                    break;
            }
        }
        catch (ArgumentException)
        {
            throw WeComException.BadRequest("a JSON object names one property twice (names are case-insensitive)");
        }
    }

    /// <summary>Checks the body for <paramref name="kind"/>; <paramref name="fileSize"/> tells a referenced file's size when known.</summary>
    public static ParsedSend Parse(SendKind kind, JsonObject body, Func<string, long?>? fileSize = null)
    {
        var wxId = RequireWxId(Text(body, "wxId"));
        if (!ConversationId.TryParse(Text(body, "conversationId"), wxId, out var conversation, out var error))
            throw WeComException.BadRequest(error);

        switch (kind)
        {
            case SendKind.Text:
                RequireText(Text(body, "content"), "content");
                break;
            case SendKind.RoomAt:
                if (!conversation.IsRoom) throw WeComException.BadRequest("msg/roomAt needs a room conversationId (R:…)");
                var content = RequireText(Text(body, "content"), "content");
                var atList = Strings(body, "atList");
                if (atList.Count == 0) throw WeComException.BadRequest("atList must name at least one member, or [\"0\"] for everyone");
                if (atList.Any(a => a != "0" && !WxId.TryParse(a, out _))) throw WeComException.BadRequest("atList holds an invalid member id");
                var placeholders = CountOf(content, "{$@}");
                if (placeholders > 0 && placeholders != atList.Count)
                    throw WeComException.BadRequest($"content has {placeholders} {{$@}} placeholders but atList names {atList.Count} members");
                break;
            case SendKind.Image or SendKind.File or SendKind.Voice:
                FileUrl(body);
                break;
            case SendKind.Gif:
                if (fileSize?.Invoke(FileUrl(body)) is > GifMaxBytes)
                    throw WeComException.BadRequest("a gif over 5 MB must be sent as a file: use msg/file");
                break;
            case SendKind.Video:
                if (fileSize?.Invoke(FileUrl(body)) is > VideoMaxBytes)
                    throw WeComException.BadRequest("a video over 50 MB is refused by WeCom; compress it or send a link");
                break;
            case SendKind.PersonCard:
                RequireWxId(Text(body, "personCardUserId"), "personCardUserId");
                break;
            case SendKind.Link:
                RequireText(Text(body, "title"), "title");
                RequireText(Text(body, "url"), "url");
                break;
            case SendKind.MiniProgram:
                foreach (var name in new[] { "username", "appid", "title" }) RequireText(Text(body, name), name);
                break;
            case SendKind.VideoNum:
                RequireText(Text(body, "url"), "url");
                break;
            case SendKind.Quote:
                RequireText(Text(body, "content"), "content");
                RequireText(Text(body, "serverId"), "serverId");
                break;
            case SendKind.MiniProgramById:
                Id(body, "miniProgramId");
                break;
            case SendKind.VideoNumById:
                Id(body, "videoNumId");
                break;
        }

        // The host gets the seed's body with the ids in their normal form; MQTT's routing fields stay ours.
        var forward = body.DeepClone().AsObject();
        foreach (var name in new[] { "type", "id" })
            if (forward.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)) is { Key: { } key } && key is not null)
                forward.Remove(key);
        Set(forward, "wxId", wxId.Value);
        Set(forward, "conversationId", conversation.Value);
        return new ParsedSend(wxId, new OutboundMessage(kind, conversation, forward.ToJsonString()));
    }

    private static string FileUrl(JsonObject body)
    {
        var url = RequireText(Text(body, "fileUrl"), "fileUrl");
        var absolute = Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        if (!absolute && !url.StartsWith('/'))
            throw WeComException.BadRequest("fileUrl must be an http(s) address or a path returned by file/upload");
        return url;
    }

    private static void Id(JsonObject body, string name)
    {
        var node = body[name] ?? throw WeComException.BadRequest($"{name} is required");
        if (node is not JsonValue value || !(value.TryGetValue<long>(out var n) || (value.TryGetValue<string>(out var s) && long.TryParse(s, out n))) || n <= 0)
            throw WeComException.BadRequest($"{name} must be a positive number");
    }

    private static string? Text(JsonObject body, string name) => body[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number => v.ToJsonString(),
        _ => throw WeComException.BadRequest($"{name} must be a string"),
    };

    private static List<string> Strings(JsonObject body, string name) => body[name] switch
    {
        null => [],
        JsonArray array => array.Select(n => n is JsonValue v && (v.TryGetValue<string>(out var s) || (s = v.ToJsonString()) is not null) ? s : throw WeComException.BadRequest($"{name} must be an array of ids")).ToList(),
        _ => throw WeComException.BadRequest($"{name} must be an array of ids"),
    };

    private static void Set(JsonObject body, string name, string value)
    {
        var existing = body.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Key;
        if (existing is not null) body.Remove(existing);
        body[name] = value;
    }

    private static int CountOf(string text, string token)
    {
        var count = 0;
        for (var i = text.IndexOf(token, StringComparison.Ordinal); i >= 0; i = text.IndexOf(token, i + token.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string RequireText([NotNull] string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw WeComException.BadRequest($"{name} is required");
        return value;
    }

    private static WxId RequireWxId(string? value, string name = "wxId")
    {
        RequireText(value, name);
        return WxId.TryParse(value, out var id) ? id : throw WeComException.BadRequest($"{name} '{value}' is not a valid id (digits only)");
    }
}

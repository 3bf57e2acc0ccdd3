using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.Callbacks;

/// <summary>
/// A parsed callback: seed 000's envelope <c>{msgId, source, userId, wxid, timestamp, type, data, sendMsgId}</c>, the
/// typed <see cref="Data"/> and the <c>data</c> exactly as received (<see cref="DataJson"/>, null for <c>null</c>).
/// </summary>
public sealed record CallbackEnvelope(
    string MsgId,
    HostName Source,
    string? UserId,
    WxId? WxId,
    long Timestamp,
    string Type,
    string? SendMsgId,
    CallbackData Data,
    string? DataJson)
{
    /// <summary>The conversation a message or room event belongs to, as the seed spells it.</summary>
    public ConversationId? ConversationId => Data switch
    {
        MessageData m when m.ConversationId is { Length: > 0 } c => new ConversationId(c),
        RoomEventData r when r.RoomConversationId is { Length: > 0 } c => new ConversationId(c),
        ContactAddData a when a.ConversationId is { Length: > 0 } c => new ConversationId(c),
        _ => null,
    };

    /// <summary>
    /// The key that identifies one chat message of one account across re-pushes: <c>{wxid}:{server_id}</c>. None for
    /// failed sends, whose echoes may repeat a placeholder server id.
    /// </summary>
    public string? ServerKey => Data is MessageData { ServerId: { Length: > 0 } sid } m && sid != "0" && m.ErrorCode is null or 0 && WxId is { } w
        ? $"{w.Value}:{sid}"
        : null;
}

/// <summary>Parses and validates callbacks leniently about spelling (numbers may come quoted), strictly about shape.</summary>
public static class CallbackParser
{
    public static readonly JsonSerializerOptions Json = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var o = new JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        o.Converters.Add(new LenientStringConverter());
        return o;
    }

    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out CallbackEnvelope? envelope, [NotNullWhen(false)] out string? error)
    {
        envelope = null;
        // The reader checks UTF-8 only inside the values it is asked to decode, and then throws what no caller expects.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            error = "the body is not valid UTF-8";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            using var doc = JsonDocument.ParseValue(ref reader);
            return TryParse(doc.RootElement, out envelope, out error);
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return false;
        }
        catch (InvalidOperationException e)
        {
            // A string escaping half a surrogate pair (\ud800) cannot be read as text.
            error = $"malformed JSON: {e.Message}";
            return false;
        }
    }

    public static bool TryParse(string json, [NotNullWhen(true)] out CallbackEnvelope? envelope, [NotNullWhen(false)] out string? error) =>
        TryParse(System.Text.Encoding.UTF8.GetBytes(json), out envelope, out error);

    public static bool TryParse(JsonElement root, [NotNullWhen(true)] out CallbackEnvelope? envelope, [NotNullWhen(false)] out string? error)
    {
        envelope = null;
        if (root.ValueKind != JsonValueKind.Object) return Fail("the callback must be a JSON object", out error);

        var msgId = Text(root, "msgId");
        if (string.IsNullOrWhiteSpace(msgId) || msgId.Length > 128) return Fail("msgId is required (at most 128 characters)", out error);
        var sourceText = Text(root, "source");
        if (!HostName.TryParse(sourceText, out var source)) return Fail($"source '{sourceText}' is not a container hostname", out error);
        var type = Text(root, "type");
        if (string.IsNullOrWhiteSpace(type) || type.Length > 64) return Fail("type is required", out error);
        if (!TryTimestamp(root, out var timestamp)) return Fail("timestamp must be a number of milliseconds", out error);

        var wxText = Text(root, "wxid");
        WxId? wxId = null;
        if (!string.IsNullOrWhiteSpace(wxText))
        {
            if (!OrleansWeCom.WxId.TryParse(wxText, out var w)) return Fail($"wxid '{wxText}' is not a valid id (digits only)", out error);
            wxId = w;
        }

        var hasData = Property(root, "data", out var data) && data.ValueKind != JsonValueKind.Null;
        if (hasData && data.ValueKind != JsonValueKind.Object) return Fail("data must be an object or null", out error);
        var dataJson = hasData ? data.GetRawText() : null;

        CallbackData typed;
        try
        {
            typed = Deserialize(type, hasData ? data : null, dataJson);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at data{e.Path.TrimStart('$')}";
            return Fail($"data of {type} is malformed{where}", out error);
        }

        envelope = new CallbackEnvelope(msgId.Trim(), source, Text(root, "userId"), wxId, timestamp, type, NullIfEmpty(Text(root, "sendMsgId")), typed, dataJson);
        return Validate(envelope, out error);
    }

    private static CallbackData Deserialize(string type, JsonElement? data, string? json)
    {
        T Read<T>() where T : CallbackData, new() => data is { } d ? d.Deserialize<T>(Json) ?? new T() : new T();
        return type switch
        {
            CallbackTypes.QrCodeStatus => Read<QrCodeStatusData>(),
            CallbackTypes.SafeValidate => Read<SafeValidateData>(),
            CallbackTypes.UserLogin => Read<UserLoginData>(),
            CallbackTypes.UserOffline => new UserOfflineData(),
            CallbackTypes.BatchMsgConfirm => Read<BatchMsgConfirmData>(),
            CallbackTypes.ContactAdd => Read<ContactAddData>(),
            CallbackTypes.RoomCreate or CallbackTypes.RoomAddMember or CallbackTypes.RoomDelMember => Read<RoomMembersData>(),
            CallbackTypes.RoomMemberQuit => Read<RoomMemberQuitData>(),
            CallbackTypes.RoomNameChanged => Read<RoomNameChangedData>(),
            CallbackTypes.Text => Read<TextMessageData>(),
            CallbackTypes.Image => Read<ImageMessageData>(),
            CallbackTypes.Video => Read<VideoMessageData>(),
            CallbackTypes.Voice => Read<VoiceMessageData>(),
            CallbackTypes.File => Read<FileMessageData>(),
            CallbackTypes.Location => Read<LocationMessageData>(),
            CallbackTypes.LinkCard => Read<LinkCardMessageData>(),
            CallbackTypes.Emoticon => Read<EmoticonMessageData>(),
            CallbackTypes.RedPacket => Read<RedPacketMessageData>(),
            CallbackTypes.PersonCard => Read<PersonCardMessageData>(),
            CallbackTypes.MiniProgram => Read<MiniProgramMessageData>(),
            CallbackTypes.VideoNum => Read<VideoNumMessageData>(),
            CallbackTypes.ChatGray => Read<ChatGrayMessageData>(),
            _ => new UnknownCallbackData(json),
        };
    }

    /// <summary>The fields without which a callback cannot be routed.</summary>
    private static bool Validate(CallbackEnvelope e, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var needsAccount = CallbackTypes.IsConversation(e.Type) || CallbackTypes.IsRoomEvent(e.Type)
            || e.Type is CallbackTypes.ContactAdd or CallbackTypes.UserLogin;
        if (needsAccount && e.WxId is null && !(e.Data is UserLoginData { UserId.Length: > 0 }))
            return Fail($"wxid is required for {e.Type}", out error);

        switch (e.Data)
        {
            case MessageData m:
                if (!ConversationId.TryParse(m.ConversationId, null, out _, out var why)) return Fail($"data.conversation_id: {why}", out error);
                break;
            case RoomEventData r:
                if (!ConversationId.TryParse(r.RoomConversationId, null, out var room, out var whyRoom) || !room.IsRoom)
                    return Fail($"data.room_conversation_id: {(whyRoom.Length > 0 ? whyRoom : "must be a room id R:<digits>")}", out error);
                if (e.Type is CallbackTypes.RoomMemberQuit && string.IsNullOrEmpty(r.OpUserId))
                    return Fail("data.op_user_id (the member who left) is required", out error);
                break;
            case QrCodeStatusData { Status: null }:
                return Fail("data.status is required", out error);
            case UserLoginData l:
                if (!OrleansWeCom.WxId.TryParse(l.UserId ?? e.WxId?.Value, out _)) return Fail("data.user_id must be the account's wxId", out error);
                break;
        }

        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static bool Property(JsonElement root, string name, out JsonElement value)
    {
        if (root.TryGetProperty(name, out value)) return true;
        foreach (var p in root.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }

        return false;
    }

    private static string? Text(JsonElement root, string name) =>
        !Property(root, name, out var v) ? null : v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };

    private static bool TryTimestamp(JsonElement root, out long timestamp)
    {
        timestamp = 0;
        if (!Property(root, "timestamp", out var v)) return false;
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt64(out timestamp),
            JsonValueKind.String => long.TryParse(v.GetString(), out timestamp),
            _ => false,
        };
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Hosts send ids sometimes as strings, sometimes as numbers (<c>corp_id: 0</c>): both read as text.</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            _ => throw new JsonException($"expected a string, got {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}

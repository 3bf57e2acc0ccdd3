using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.Callbacks;

/// <summary>The typed <c>data</c> of a callback. Field names are the seed's, spelled exactly as the hosts send them.</summary>
public abstract record CallbackData;

/// <summary>A <c>data</c> of a type we do not know: kept and forwarded as it came.</summary>
public sealed record UnknownCallbackData(string? Json) : CallbackData;

public sealed record QrCodeStatusData : CallbackData
{
    [JsonPropertyName("status")] public int? Status { get; init; }
    [JsonPropertyName("qrcode_key")] public string? QrcodeKey { get; init; }
    [JsonPropertyName("keep_sec")] public int? KeepSec { get; init; }
    [JsonPropertyName("vid")] public string? Vid { get; init; }
    [JsonPropertyName("corpid")] public string? CorpId { get; init; }
    [JsonPropertyName("nick_name")] public string? NickName { get; init; }
    [JsonPropertyName("auth_deviceid")] public string? AuthDeviceId { get; init; }
    [JsonPropertyName("gid")] public string? Gid { get; init; }
    [JsonPropertyName("icon_url")] public string? IconUrl { get; init; }
    [JsonPropertyName("logo")] public string? Logo { get; init; }
    [JsonPropertyName("is_bind_wx")] public bool? IsBindWx { get; init; }
    [JsonPropertyName("lang_type")] public int? LangType { get; init; }
}

public sealed record SafeValidateData : CallbackData
{
    [JsonPropertyName("Qrcode")] public string? Qrcode { get; init; }
    [JsonPropertyName("UserName")] public string? UserName { get; init; }
}

public sealed record UserLoginData : CallbackData
{
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("nickname")] public string? Nickname { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("mobile")] public string? Mobile { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("account")] public string? Account { get; init; }
    [JsonPropertyName("acctid")] public string? Acctid { get; init; }
    [JsonPropertyName("job_name")] public string? JobName { get; init; }
    [JsonPropertyName("email")] public string? Email { get; init; }
    [JsonPropertyName("sex")] public int? Sex { get; init; }
    [JsonPropertyName("pid")] public long? Pid { get; init; }
    [JsonPropertyName("document_root")] public string? DocumentRoot { get; init; }
}

/// <summary><c>user_offline</c> carries <c>"data": null</c>.</summary>
public sealed record UserOfflineData : CallbackData;

public sealed record BatchMsgConfirmData : CallbackData
{
    [JsonPropertyName("appinfo")] public string? AppInfo { get; init; }
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("sendtime")] public long? SendTime { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
}

public sealed record ContactAddData : CallbackData
{
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("nickname")] public string? Nickname { get; init; }
    [JsonPropertyName("realname")] public string? RealName { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("acctid")] public string? Acctid { get; init; }
    [JsonPropertyName("mobile")] public string? Mobile { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("sex")] public int? Sex { get; init; }
    [JsonPropertyName("unionid")] public string? UnionId { get; init; }
}

public sealed record RoomMember
{
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
}

/// <summary>The fields every room notification carries.</summary>
public abstract record RoomEventData : CallbackData
{
    [JsonPropertyName("room_conversation_id")] public string? RoomConversationId { get; init; }
    [JsonPropertyName("room_name")] public string? RoomName { get; init; }
    [JsonPropertyName("op_user_id")] public string? OpUserId { get; init; }
    [JsonPropertyName("op_user_name")] public string? OpUserName { get; init; }
}

/// <summary><c>notify_type_room_create</c>, <c>…_add_member</c> and <c>…_del_member</c>.</summary>
public sealed record RoomMembersData : RoomEventData
{
    [JsonPropertyName("member_list")] public IReadOnlyList<RoomMember>? MemberList { get; init; }
}

/// <summary><c>notify_type_room_member_quit</c>: <c>op_user_id</c> is the member who left.</summary>
public sealed record RoomMemberQuitData : RoomEventData;

public sealed record RoomNameChangedData : RoomEventData;

/// <summary>The fields every chat message (and gray line) carries, inbound (<c>is_pc</c> 0) or outbound echo (<c>is_pc</c> 1).</summary>
public abstract record MessageData : CallbackData
{
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("sender")] public string? Sender { get; init; }
    [JsonPropertyName("sender_name")] public string? SenderName { get; init; }
    [JsonPropertyName("receiver")] public string? Receiver { get; init; }
    [JsonPropertyName("is_pc")] public int? IsPc { get; init; }
    [JsonPropertyName("server_id")] public string? ServerId { get; init; }
    [JsonPropertyName("local_id")] public string? LocalId { get; init; }
    [JsonPropertyName("send_time")] public long? SendTime { get; init; }
    [JsonPropertyName("content_type")] public int? ContentType { get; init; }
    [JsonPropertyName("appinfo")] public string? AppInfo { get; init; }
    [JsonPropertyName("sendUserId")] public string? SendUserId { get; init; }
    [JsonPropertyName("sendUserName")] public string? SendUserName { get; init; }
    [JsonPropertyName("error_code")] public int? ErrorCode { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("isOpenApi")] public bool? IsOpenApi { get; init; }
    [JsonPropertyName("cdn")] public JsonElement? Cdn { get; init; }
    [JsonPropertyName("cdn_type")] public int? CdnType { get; init; }

    [JsonIgnore] public bool Outbound => IsPc == 1;

    /// <summary>A short human-readable rendering for conversation lists.</summary>
    [JsonIgnore] public abstract string Preview { get; }
}

public sealed record TextMessageData : MessageData
{
    [JsonPropertyName("content")] public string? Content { get; init; }
    [JsonPropertyName("at_list")] public JsonElement? AtList { get; init; }
    public override string Preview => Content ?? "";
}

public sealed record ImageMessageData : MessageData
{
    [JsonPropertyName("file_path")] public string? FilePath { get; init; }
    [JsonPropertyName("imgWidth")] public int? ImgWidth { get; init; }
    [JsonPropertyName("imgHeight")] public int? ImgHeight { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
    public override string Preview => "[image]";
}

public sealed record VideoMessageData : MessageData
{
    [JsonPropertyName("file_path")] public string? FilePath { get; init; }
    [JsonPropertyName("duration")] public int? Duration { get; init; }
    [JsonPropertyName("videoWidth")] public int? VideoWidth { get; init; }
    [JsonPropertyName("videoHeight")] public int? VideoHeight { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
    public override string Preview => "[video]";
}

public sealed record VoiceMessageData : MessageData
{
    [JsonPropertyName("file_path")] public string? FilePath { get; init; }
    [JsonPropertyName("duration")] public int? Duration { get; init; }
    public override string Preview => Duration is { } d ? $"[voice {d}s]" : "[voice]";
}

public sealed record FileMessageData : MessageData
{
    [JsonPropertyName("file_path")] public string? FilePath { get; init; }
    [JsonPropertyName("file_name")] public string? FileName { get; init; }
    [JsonPropertyName("file_size")] public long? FileSize { get; init; }
    public override string Preview => $"[file] {FileName ?? Path.GetFileName(FilePath ?? "")}".TrimEnd();
}

public sealed record LocationMessageData : MessageData
{
    [JsonPropertyName("address")] public string? Address { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("latitude")] public double? Latitude { get; init; }
    [JsonPropertyName("longitude")] public double? Longitude { get; init; }
    [JsonPropertyName("zoom")] public int? Zoom { get; init; }
    public override string Preview => $"[location] {Title ?? Address}".TrimEnd();
}

public sealed record LinkCardMessageData : MessageData
{
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("image_url")] public string? ImageUrl { get; init; }
    public override string Preview => $"[link] {Title}".TrimEnd();
}

public sealed record EmoticonMessageData : MessageData
{
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
    [JsonPropertyName("type")] public int? EmoticonType { get; init; }
    [JsonPropertyName("source_type")] public int? SourceType { get; init; }
    public override string Preview => "[emoticon]";
}

public sealed record RedPacketMessageData : MessageData
{
    [JsonPropertyName("packet_id")] public string? PacketId { get; init; }
    [JsonPropertyName("money")] public long? Money { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    public override string Preview => "[red packet]";
}

public sealed record PersonCardMessageData : MessageData
{
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("nickname")] public string? Nickname { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("corp_name")] public string? CorpName { get; init; }
    [JsonPropertyName("source")] public string? CardSource { get; init; }
    public override string Preview => $"[contact card] {Nickname}".TrimEnd();
}

public sealed record MiniProgramMessageData : MessageData
{
    [JsonPropertyName("appid")] public string? AppId { get; init; }
    [JsonPropertyName("appname")] public string? AppName { get; init; }
    [JsonPropertyName("appicon")] public string? AppIcon { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("page_path")] public string? PagePath { get; init; }
    [JsonPropertyName("cover_path")] public string? CoverPath { get; init; }
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("thumb_width")] public int? ThumbWidth { get; init; }
    [JsonPropertyName("thumb_height")] public int? ThumbHeight { get; init; }
    public override string Preview => $"[mini program] {Title ?? AppName}".TrimEnd();
}

public sealed record VideoNumMessageData : MessageData
{
    [JsonPropertyName("nickname")] public string? Nickname { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("cover_url")] public string? CoverUrl { get; init; }
    [JsonPropertyName("thumb_url")] public string? ThumbUrl { get; init; }
    [JsonPropertyName("object_id")] public string? ObjectId { get; init; }
    [JsonPropertyName("object_nonce_id")] public string? ObjectNonceId { get; init; }
    [JsonPropertyName("feed_type")] public int? FeedType { get; init; }
    [JsonPropertyName("extras")] public string? Extras { get; init; }
    public override string Preview => $"[video channel] {Nickname}".TrimEnd();
}

/// <summary>A gray system line in a chat (for example: the customer deleted us and requires verification).</summary>
public sealed record ChatGrayMessageData : MessageData
{
    [JsonPropertyName("content")] public string? Content { get; init; }
    public override string Preview => Content ?? "";

    /// <summary>WeCom marks "you are no longer their contact" lines with an appinfo ending in <c>_need_verify</c>.</summary>
    [JsonIgnore] public bool MeansContactDeleted => AppInfo?.EndsWith("_need_verify", StringComparison.Ordinal) == true;
}

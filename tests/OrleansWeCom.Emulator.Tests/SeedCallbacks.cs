namespace OrleansWeCom.Emulator.Tests;

internal enum SeedDirection
{
    Event,
    Inbound,
    Outbound,
}

/// <summary>The callback examples of seed 000: each type's data field names, as the seed prints them.</summary>
internal sealed record SeedCallback(string Type, SeedDirection Direction, string[]? DataFields)
{
    public static readonly string[] EnvelopeFields = ["msgId", "source", "userId", "wxid", "timestamp", "type", "data", "sendMsgId"];

    public static readonly SeedCallback[] All =
    [
        new("qrcode_status_msg", SeedDirection.Event, ["auth_deviceid", "corpid", "gid", "icon_url", "is_bind_wx", "keep_sec", "lang_type", "logo", "nick_name", "qrcode_key", "status", "vid"]),
        new("safe_validate", SeedDirection.Event, ["Qrcode", "UserName"]),
        new("text_msg", SeedDirection.Inbound, ["appinfo", "at_list", "content", "content_type", "conversation_id", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id"]),
        new("text_msg", SeedDirection.Outbound, ["at_list", "content", "content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("image_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id", "imgWidth", "imgHeight", "file_path"]),
        new("image_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "file_path", "imgWidth", "imgHeight", "cdn_type", "sendUserId", "sendUserName", "width", "height", "error_code", "error_message"]),
        new("video_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "duration", "height", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id", "width", "videoWidth", "videoHeight", "file_path"]),
        new("video_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "file_path", "videoWidth", "videoHeight", "cdn_type", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("voice_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "duration", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id", "file_path"]),
        new("voice_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "duration", "file_path", "cdn_type", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("file_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id", "file_path", "file_size"]),
        new("file_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "file_path", "cdn_type", "cdn", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("location_msg", SeedDirection.Inbound, ["address", "appinfo", "content_type", "conversation_id", "is_pc", "latitude", "local_id", "longitude", "receiver", "send_time", "sender", "sender_name", "server_id", "title", "zoom"]),
        new("link_card_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "desc", "image_url", "is_pc", "local_id", "receiver", "send_time", "sender", "sender_name", "server_id", "title", "url"]),
        new("link_card_msg", SeedDirection.Outbound, ["desc", "image_url", "title", "url", "content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "sendUserId", "sendUserName", "isOpenApi", "error_code", "error_message"]),
        new("emoticon_msg", SeedDirection.Inbound, ["appinfo", "cdn", "cdn_type", "content_type", "conversation_id", "height", "is_pc", "local_id", "name", "receiver", "send_time", "sender", "sender_name", "server_id", "source_type", "type", "url", "width"]),
        new("emoticon_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "local_id", "receiver", "send_time", "sender", "server_id", "url", "width", "height", "error_code", "error_message"]),
        new("red_packet_msg", SeedDirection.Inbound, ["appinfo", "content_type", "conversation_id", "desc", "is_pc", "local_id", "money", "packet_id", "receiver", "remark", "send_time", "sender", "sender_name", "server_id"]),
        new("person_card_msg", SeedDirection.Inbound, ["appinfo", "avatar", "content_type", "conversation_id", "corp_id", "corp_name", "is_pc", "local_id", "nickname", "receiver", "send_time", "sender", "sender_name", "server_id", "source", "user_id"]),
        new("person_card_msg", SeedDirection.Outbound, ["avatar", "nickname", "user_id", "content_type", "conversation_id", "is_pc", "local_id", "receiver", "send_time", "sender", "server_id", "sendUserId", "sendUserName", "isOpenApi", "error_code", "error_message"]),
        new("mini_program_msg", SeedDirection.Inbound, ["appicon", "appid", "appinfo", "appname", "cdn", "cdn_type", "content_type", "conversation_id", "is_pc", "local_id", "page_path", "receiver", "send_time", "sender", "sender_name", "server_id", "thumb_height", "thumb_width", "title", "username", "cover_path"]),
        new("mini_program_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "appicon", "appid", "appname", "page_path", "title", "username", "cover_path", "cdn_type", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("video_num_msg", SeedDirection.Inbound, ["appinfo", "avatar", "content_type", "conversation_id", "cover_url", "desc", "extras", "feed_type", "is_pc", "local_id", "nickname", "object_id", "object_nonce_id", "receiver", "send_time", "sender", "sender_name", "server_id", "thumb_url", "url"]),
        new("video_num_msg", SeedDirection.Outbound, ["content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "server_id", "cover_url", "desc", "feed_type", "nickname", "thumb_url", "url", "extras", "avatar", "sendUserId", "sendUserName", "error_code", "error_message"]),
        new("notify_type_contact_add", SeedDirection.Event, ["acctid", "avatar", "conversation_id", "corp_id", "mobile", "nickname", "position", "realname", "remark", "sex", "unionid", "user_id", "username"]),
        new("notify_type_room_add_member", SeedDirection.Event, ["member_list", "op_user_id", "op_user_name", "room_conversation_id", "room_name"]),
        new("notify_type_room_del_member", SeedDirection.Event, ["member_list", "op_user_id", "op_user_name", "room_conversation_id", "room_name"]),
        new("notify_type_room_create", SeedDirection.Event, ["member_list", "op_user_id", "op_user_name", "room_conversation_id", "room_name"]),
        new("notify_type_room_member_quit", SeedDirection.Event, ["op_user_id", "op_user_name", "room_conversation_id", "room_name"]),
        new("room_name_changed", SeedDirection.Event, ["op_user_id", "room_conversation_id", "room_name"]),
        new("chat_gray_msg", SeedDirection.Event, ["appinfo", "content", "content_type", "conversation_id", "is_pc", "receiver", "send_time", "sender", "sender_name", "server_id"]),
        new("user_login", SeedDirection.Event, ["account", "acctid", "avatar", "corp_id", "document_root", "email", "job_name", "mobile", "nickname", "pid", "position", "sex", "user_id", "username"]),
        new("user_offline", SeedDirection.Event, null),
        new("batch_msg_confirm", SeedDirection.Event, ["appinfo", "content", "sendtime", "title"]),
    ];
}

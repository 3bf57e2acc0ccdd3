namespace OrleansWeCom.Callbacks;

/// <summary>The 24 <c>type</c>s of seed 000's callbacks and the families they are routed by.</summary>
public static class CallbackTypes
{
    public const string QrCodeStatus = "qrcode_status_msg";
    public const string SafeValidate = "safe_validate";
    public const string UserLogin = "user_login";
    public const string UserOffline = "user_offline";
    public const string BatchMsgConfirm = "batch_msg_confirm";

    public const string Text = "text_msg";
    public const string Image = "image_msg";
    public const string Video = "video_msg";
    public const string Voice = "voice_msg";
    public const string File = "file_msg";
    public const string Location = "location_msg";
    public const string LinkCard = "link_card_msg";
    public const string Emoticon = "emoticon_msg";
    public const string RedPacket = "red_packet_msg";
    public const string PersonCard = "person_card_msg";
    public const string MiniProgram = "mini_program_msg";
    public const string VideoNum = "video_num_msg";
    public const string ChatGray = "chat_gray_msg";

    public const string ContactAdd = "notify_type_contact_add";
    public const string RoomCreate = "notify_type_room_create";
    public const string RoomAddMember = "notify_type_room_add_member";
    public const string RoomDelMember = "notify_type_room_del_member";
    public const string RoomMemberQuit = "notify_type_room_member_quit";
    public const string RoomNameChanged = "room_name_changed";

    public static readonly IReadOnlyList<string> All =
    [
        QrCodeStatus, SafeValidate, UserLogin, UserOffline, BatchMsgConfirm,
        Text, Image, Video, Voice, File, Location, LinkCard, Emoticon, RedPacket, PersonCard, MiniProgram, VideoNum, ChatGray,
        ContactAdd, RoomCreate, RoomAddMember, RoomDelMember, RoomMemberQuit, RoomNameChanged,
    ];

    /// <summary>Chat messages (inbound and outbound echoes) and gray system lines: they belong to a conversation.</summary>
    public static bool IsConversation(string type) => type is Text or Image or Video or Voice or File or Location or LinkCard
        or Emoticon or RedPacket or PersonCard or MiniProgram or VideoNum or ChatGray;

    public static bool IsRoomEvent(string type) => type is RoomCreate or RoomAddMember or RoomDelMember or RoomMemberQuit or RoomNameChanged;

    /// <summary>Callbacks that move a container's life cycle.</summary>
    public static bool IsLifecycle(string type) => type is QrCodeStatus or SafeValidate or UserLogin or UserOffline;

    public static bool IsKnown(string type) => IsConversation(type) || IsRoomEvent(type) || IsLifecycle(type) || type is BatchMsgConfirm or ContactAdd;
}

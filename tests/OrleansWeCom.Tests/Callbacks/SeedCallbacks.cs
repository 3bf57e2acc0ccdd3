using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>Callbacks in seed 000's shapes (its examples, with digits where the seed masks ids with X).</summary>
public static class SeedCallbacks
{
    public const string Account = "1688854355260001";
    public const string Customer = "7881300839070001";
    public const string Room = "R:10849942805070001";
    public static readonly string SingleChat = $"S:{Account}_{Customer}";

    public static string Envelope(string type, object? data, string source, string? wxid = Account, string? msgId = null, string? sendMsgId = null, long? timestamp = null) =>
        new JsonObject
        {
            ["msgId"] = msgId ?? Guid.NewGuid().ToString(),
            ["source"] = source,
            ["userId"] = "apps-1",
            ["wxid"] = wxid,
            ["timestamp"] = timestamp ?? 1686708147954,
            ["type"] = type,
            ["data"] = data is null ? null : JsonSerializer.SerializeToNode(data),
            ["sendMsgId"] = sendMsgId,
        }.ToJsonString();

    /// <summary>Inbound message fields every chat message carries, plus the type's own.</summary>
    public static Dictionary<string, object?> Message(string serverId, string? conversation = null, params (string Key, object? Value)[] own)
    {
        var data = new Dictionary<string, object?>
        {
            ["appinfo"] = "5079167612398453673",
            ["content_type"] = 2,
            ["conversation_id"] = conversation ?? SingleChat,
            ["is_pc"] = 0,
            ["local_id"] = "1363",
            ["receiver"] = Account,
            ["send_time"] = "1686708146",
            ["sender"] = Customer,
            ["sender_name"] = "左脚",
            ["server_id"] = serverId,
        };
        foreach (var (k, v) in own) data[k] = v;
        return data;
    }

    /// <summary>One example per seed type with a field of its own that must reach the tenant unchanged.</summary>
    public static IReadOnlyList<(string Type, object? Data, string Field, string Value)> AllTypes()
    {
        var cdn = new { aes_key = "f4fc952536b0206aa21d382e1833c42f", file_name = "", md5 = "ac39", size = 4148 };
        return
        [
            (CallbackTypes.QrCodeStatus, new { auth_deviceid = "baab90ef80ca9f2f", corpid = "1970325032041886", keep_sec = 600, nick_name = "helloni4栋", qrcode_key = "6E16C7042D0A4E832114E839EB1694CE", status = 10, vid = "1688850535328682", is_bind_wx = true }, "qrcode_key", "6E16C7042D0A4E832114E839EB1694CE"),
            (CallbackTypes.SafeValidate, new { Qrcode = "/gnapi/files/cache/xxxxxx.jpg", UserName = "企业微信名称" }, "Qrcode", "/gnapi/files/cache/xxxxxx.jpg"),
            (CallbackTypes.Text, Message("1012206", null, ("content", "呼啦"), ("at_list", Array.Empty<string>())), "content", "呼啦"),
            (CallbackTypes.Image, Message("1012207", null, ("cdn", cdn), ("cdn_type", 1), ("file_path", "/gnapi/files/Cache/20230614/a.jpg"), ("imgWidth", 200), ("imgHeight", 120)), "file_path", "/gnapi/files/Cache/20230614/a.jpg"),
            (CallbackTypes.Video, Message("1012208", null, ("cdn", cdn), ("duration", 5), ("file_path", "/gnapi/files/Cache/v.mp4"), ("videoWidth", 320), ("videoHeight", 240)), "file_path", "/gnapi/files/Cache/v.mp4"),
            (CallbackTypes.Voice, Message("1012209", null, ("cdn", cdn), ("duration", 4), ("file_path", "/gnapi/files/Cache/a.aac")), "file_path", "/gnapi/files/Cache/a.aac"),
            (CallbackTypes.File, Message("1012210", null, ("cdn", cdn), ("file_path", "/gnapi/files/Cache/Setup.log"), ("file_size", 3375050)), "file_path", "/gnapi/files/Cache/Setup.log"),
            (CallbackTypes.Location, Message("1012211", null, ("address", "浙江省杭州市西湖区余杭塘路866号"), ("latitude", 30.30261), ("longitude", 120.08213), ("title", "余杭塘路"), ("zoom", 15)), "address", "浙江省杭州市西湖区余杭塘路866号"),
            (CallbackTypes.LinkCard, Message("1012212", null, ("title", "光年实验室"), ("desc", "真正的流量增长专家!"), ("url", "https://www.gnlab.com"), ("image_url", "http://x/y.jpg")), "url", "https://www.gnlab.com"),
            (CallbackTypes.Emoticon, Message("1012213", null, ("url", "https://wework.qpic.cn/wwpic/a/0"), ("width", 240), ("height", 240), ("name", "动画表情"), ("type", 2)), "name", "动画表情"),
            (CallbackTypes.RedPacket, Message("1012214", null, ("packet_id", "1800008896202306147404849530015"), ("money", 1), ("desc", "来自左脚的红包"), ("remark", "")), "packet_id", "1800008896202306147404849530015"),
            (CallbackTypes.PersonCard, Message("1012215", null, ("user_id", "7881301324200001"), ("nickname", "峰哥"), ("avatar", "http://wx.qlogo.cn/a/0"), ("corp_id", 0), ("corp_name", "微信")), "nickname", "峰哥"),
            (CallbackTypes.MiniProgram, Message("1012216", null, ("appid", "wx8f98d076d3459dd6"), ("appname", "雪球 App"), ("title", "雪球"), ("page_path", "pages/index.html")), "appid", "wx8f98d076d3459dd6"),
            (CallbackTypes.VideoNum, Message("1012217", null, ("nickname", "视频号"), ("desc", "三个男生"), ("url", "https://channels.weixin.qq.com/x"), ("object_id", "14151"), ("feed_type", 4)), "object_id", "14151"),
            (CallbackTypes.ChatGray, Message("1012218", null, ("appinfo", "CAUQo5ABGOLw4emLMSAC_need_verify"), ("content", "左脚开启了联系人验证"), ("content_type", 1011)), "content", "左脚开启了联系人验证"),
            (CallbackTypes.ContactAdd, new { acctid = "", avatar = "http://wx.qlogo.cn/b/0", conversation_id = SingleChat, corp_id = "1970325134026788", sex = 1, unionid = "ozynqsoD1", user_id = Customer, username = "左脚" }, "unionid", "ozynqsoD1"),
            (CallbackTypes.RoomAddMember, new { member_list = new[] { new { name = "卡卡", user_id = "7881300830190001" } }, op_user_id = Account, op_user_name = "XF", room_conversation_id = Room, room_name = "XF、卡卡、峰哥" }, "room_name", "XF、卡卡、峰哥"),
            (CallbackTypes.RoomDelMember, new { member_list = new[] { new { name = "卡卡", user_id = "7881300830190001" } }, op_user_id = Account, op_user_name = "XF", room_conversation_id = Room, room_name = "XF、峰哥" }, "room_name", "XF、峰哥"),
            (CallbackTypes.RoomCreate, new { member_list = new[] { new { name = "依然", user_id = "7881301257130001" }, new { name = "左脚", user_id = Customer } }, op_user_id = Account, op_user_name = "YG", room_conversation_id = "R:10849942805070002", room_name = "YG、左脚、依然" }, "room_name", "YG、左脚、依然"),
            (CallbackTypes.RoomMemberQuit, new { op_user_id = "1688850407900001", op_user_name = "XF", room_conversation_id = "R:10890750899500001", room_name = "ASBG" }, "room_name", "ASBG"),
            (CallbackTypes.RoomNameChanged, new { op_user_id = Account, room_conversation_id = "R:10700547225390001", room_name = "井上拟声" }, "room_name", "井上拟声"),
            (CallbackTypes.UserLogin, new { account = "yG@gnlab.com", acctid = "yG", avatar = "https://wework.qpic.cn/a/0", corp_id = "1970325057080001", email = "", job_name = "", mobile = "18258250001", nickname = "", pid = 36632, position = "", sex = 1, user_id = Account, username = "YNG" }, "username", "YNG"),
            (CallbackTypes.BatchMsgConfirm, new { appinfo = "KHGSC_1688850407900545_110739833202391153_n", content = "{\"main_title\":{\"title\":\"t\"}}", sendtime = 1689755757, title = "谢XX通知你群发消息给客户" }, "title", "谢XX通知你群发消息给客户"),
            (CallbackTypes.UserOffline, null, "", ""),
        ];
    }
}

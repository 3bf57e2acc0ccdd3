using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansWeCom.Emulator.Api;

namespace OrleansWeCom.Emulator.Core;

/// <summary>The send pipeline: validate, apply WeCom's limits, log the send, echo it as an outbound callback.</summary>
/// <remarks>Longer than most files: it checks each of the seed's fourteen send bodies field by field, in one place.</remarks>
internal sealed partial class EmulatorState
{
    public const int FrequencyErrorCode = -1000999;
    public const string FrequencyErrorMessage = "Abnormal request frequency";
    public const long GifLimitBytes = 5L * 1024 * 1024;
    public const long VideoLimitBytes = 50L * 1024 * 1024;
    private const string AtPlaceholder = "{$@}";
    private long _sendsDelivered;
    private long _sendsRefused;

    /// <summary>A validated conversation of an account: the canonical id, the other party, and the room if any.</summary>
    internal sealed record Conversation(string Id, string ReceiverId, Room? Room, Person? Peer);

    /// <summary>
    /// Sends one message of <paramref name="kind"/> (the <c>/msg/*</c> path name) and returns its msgId.
    /// </summary>
    public string Send(string kind, ApiParams p)
    {
        var wxId = p.Required("wxId");
        var conversationId = p.Required("conversationId");
        ValidateStatically(kind, p);
        lock (_gate)
        {
            var (container, account) = Online(wxId);
            var conversation = ResolveConversation(account, conversationId);
            var (callbackType, data, content) = BuildOutbound(kind, p, account, conversation);
            var now = Now;
            var allowed = _limiter.TryAcquire(account.UserId, account.CorpId, now);
            var msgId = Guid.NewGuid().ToString();
            var serverId = allowed ? World.NextServerId() : null;
            var sendTime = now.ToUnixTimeSeconds();
            var stringTimes = callbackType is "emoticon_msg" or "person_card_msg";
            data["content_type"] = 0;
            data["conversation_id"] = conversation.Id;
            data["is_pc"] = 1;
            data["receiver"] = conversation.ReceiverId;
            data["send_time"] = stringTimes ? sendTime.ToString(System.Globalization.CultureInfo.InvariantCulture) : sendTime;
            data["sender"] = account.UserId;
            data["server_id"] = serverId ?? "0";
            if (stringTimes)
            {
                data["local_id"] = "0";
            }

            if (callbackType != "emoticon_msg")
            {
                data["sendUserId"] = container.UserId;
                data["sendUserName"] = World.HostUsers.Find(u => u.Id == container.UserId)?.Username ?? "";
            }

            data["isOpenApi"] = true;
            data["error_code"] = allowed ? 0 : FrequencyErrorCode;
            data["error_message"] = allowed ? "" : FrequencyErrorMessage;
            container.Record(new SentEntry(msgId, kind, account.UserId, conversation.Id, now, allowed ? 0 : FrequencyErrorCode, serverId, content));
            if (allowed) _sendsDelivered++;
            else _sendsRefused++;
            Post(container, callbackType, data, msgId);
            return msgId;
        }
    }

    /// <summary>
    /// Sends delivered and refused for frequency since start, over all containers: a count to poll while a run is under
    /// way, where reading every container's log would compete with the sends for the gate.
    /// </summary>
    public JsonObject SendTotals()
    {
        lock (_gate)
        {
            return new JsonObject { ["delivered"] = _sendsDelivered, ["refused"] = _sendsRefused };
        }
    }

    /// <summary>The seed's rules that need no state: checked before the gate.</summary>
    private void ValidateStatically(string kind, ApiParams p)
    {
        switch (kind)
        {
            case "text" or "roomAt" or "quote":
                _ = p.Required("content");
                break;
            case "link":
                // The seed: the title is required, and blanks alone do not count.
                _ = p.Required("title");
                _ = p.Required("url");
                break;
            case "image" or "file" or "voice":
                _ = p.Required("fileUrl");
                RequireKnownFile(p.Required("fileUrl"));
                break;
            case "gif":
                if (RequireKnownFile(p.Required("fileUrl")) > GifLimitBytes)
                {
                    throw ApiException.BadRequest("a gif over 5 MB must be sent with /msg/file");
                }

                break;
            case "video":
                if (RequireKnownFile(p.Required("fileUrl")) > VideoLimitBytes)
                {
                    throw ApiException.BadRequest("a video over 50 MB is refused by WeCom");
                }

                break;
            case "personCard":
                _ = p.Required("personCardUserId");
                break;
        }
    }

    /// <summary>The size of a file kept here; other http(s) URLs are accepted unseen (size unknown, 0).</summary>
    private long RequireKnownFile(string fileUrl)
    {
        var size = Files.SizeOf(fileUrl);
        if (size is { } known)
        {
            return known;
        }

        if (FileStore.IsLocal(fileUrl))
        {
            throw ApiException.BadRequest($"fileUrl '{fileUrl}' is not a file of this host");
        }

        return Uri.TryCreate(fileUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? 0
            : throw ApiException.BadRequest("fileUrl must be an http(s) URL or a path returned by /file/upload");
    }

    internal Conversation ResolveConversation(Person account, string conversationId)
    {
        var id = conversationId.Trim();
        if (id.StartsWith("R:", StringComparison.OrdinalIgnoreCase))
        {
            var room = World.FindRoom(id) ?? throw ApiException.NotFound($"unknown room conversation '{id}'");
            return room.HasMember(account.UserId)
                ? new Conversation(room.ConversationId, room.RoomId, room, null)
                : throw ApiException.NotFound($"wxId '{account.UserId}' is not a member of '{id}'");
        }

        if (!id.StartsWith("S:", StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.BadRequest("conversationId must start with S: or R:");
        }

        var parts = id[2..].Split('_');
        if (parts.Length != 2 || !parts.Contains(account.UserId))
        {
            throw ApiException.BadRequest($"conversationId '{id}' is not a single conversation of wxId '{account.UserId}'");
        }

        var peerId = parts[0] == account.UserId ? parts[1] : parts[0];
        var peer = World.Find(peerId);
        if (peer is null || !World.RelationsOf(account.UserId).ContainsKey(peerId))
        {
            throw ApiException.NotFound($"'{peerId}' is not a contact of wxId '{account.UserId}'");
        }

        return new Conversation(World.SingleConversationId(account.UserId, peerId), peerId, null, peer);
    }

    private (string Type, JsonObject Data, string? Content) BuildOutbound(string kind, ApiParams p, Person account, Conversation conversation)
    {
        switch (kind)
        {
            case "text":
            {
                var content = p.Required("content");
                return ("text_msg", new JsonObject { ["at_list"] = new JsonArray(), ["content"] = content }, content);
            }

            case "roomAt":
            {
                var (content, atList) = RenderRoomAt(p, conversation);
                return ("text_msg", new JsonObject { ["at_list"] = Envelope.Strings(atList), ["content"] = content }, content);
            }

            case "quote":
            {
                var content = p.Required("content");
                var data = new JsonObject { ["at_list"] = new JsonArray(), ["content"] = content, ["quote_server_id"] = p.Required("serverId") };
                if (p.String("quote") is { } quote)
                {
                    data["quote"] = quote;
                }

                return ("text_msg", data, content);
            }

            case "image":
                return ("image_msg", new JsonObject
                {
                    ["file_path"] = StoredPath(p.Required("fileUrl")),
                    ["imgWidth"] = 200,
                    ["imgHeight"] = 200,
                    ["cdn_type"] = 0,
                    ["width"] = 200,
                    ["height"] = 200,
                }, p.Required("fileUrl"));
            case "video":
                return ("video_msg", new JsonObject
                {
                    ["file_path"] = StoredPath(p.Required("fileUrl")),
                    ["videoWidth"] = 720,
                    ["videoHeight"] = 1280,
                    ["cdn_type"] = 0,
                }, p.Required("fileUrl"));
            case "voice":
                return ("voice_msg", new JsonObject
                {
                    ["duration"] = 4,
                    ["file_path"] = StoredPath(p.Required("fileUrl")),
                    ["cdn_type"] = 0,
                }, p.Required("fileUrl"));
            case "file":
            {
                var url = p.Required("fileUrl");
                var path = StoredPath(url);
                var size = Files.SizeOf(url) ?? 0;
                var md5 = World.Hex(32);
                return ("file_msg", new JsonObject
                {
                    ["file_path"] = path,
                    ["cdn_type"] = 0,
                    ["cdn"] = new JsonObject
                    {
                        ["aes_key"] = World.Hex(32),
                        ["file_id"] = World.Hex(64),
                        ["file_name"] = Path.GetFileName(path),
                        ["ld_size"] = 0,
                        ["md5"] = md5,
                        ["md_size"] = 0,
                        ["size"] = size,
                    },
                }, url);
            }

            case "gif":
                return ("emoticon_msg", new JsonObject { ["url"] = StoredPath(p.Required("fileUrl")), ["width"] = 240, ["height"] = 240 }, p.Required("fileUrl"));
            case "personCard":
            {
                var cardId = p.Required("personCardUserId");
                var card = World.Find(cardId);
                return ("person_card_msg", new JsonObject
                {
                    ["avatar"] = p.String("avatar") ?? card?.Avatar ?? "",
                    ["nickname"] = p.String("nickName") ?? card?.Name ?? "",
                    ["user_id"] = cardId,
                }, cardId);
            }

            case "link":
                return ("link_card_msg", new JsonObject
                {
                    ["desc"] = p.String("desc") ?? "",
                    ["image_url"] = p.String("imageUrl") ?? "",
                    ["title"] = p.Required("title"),
                    ["url"] = p.Required("url"),
                }, p.Required("title"));
            case "miniProgram":
                return ("mini_program_msg", MiniProgramData(new MiniProgram(0, p.Required("username"), p.Required("appid"), p.String("appname") ?? "",
                    p.String("appicon") ?? "", p.Required("title"), p.String("page_path") ?? "", p.String("cover_path") ?? "", 1)), p.Required("title"));
            case "miniProgram/send":
            {
                var id = p.Long("miniProgramId") ?? throw ApiException.BadRequest("parameter 'miniProgramId' is required");
                var mini = World.MiniPrograms.Find(m => m.Id == id) ?? throw ApiException.NotFound($"no mini-program with id {id}");
                return ("mini_program_msg", MiniProgramData(mini), mini.Title);
            }

            case "videoNum":
                return ("video_num_msg", VideoNumData(new VideoNum(0, p.String("cover_url") ?? "", p.String("desc") ?? "", (int)(p.Long("feed_type") ?? 4),
                    p.String("nickname") ?? "", p.String("thumb_url") ?? "", p.Required("url"), p.String("extras") ?? "", p.String("avatar") ?? "", 1)), p.Required("url"));
            case "videonum/send":
            {
                var id = p.Long("videoNumId") ?? throw ApiException.BadRequest("parameter 'videoNumId' is required");
                var video = World.VideoNums.Find(v => v.Id == id) ?? throw ApiException.NotFound($"no channel video with id {id}");
                return ("video_num_msg", VideoNumData(video), video.Url);
            }

            default:
                throw ApiException.NotFound($"unknown message kind '{kind}'");
        }
    }

    /// <summary>
    /// <c>{$@}</c> marks where each mention goes, in atList order; mentions without a mark lead the text.
    /// <c>["0"]</c> mentions everyone.
    /// </summary>
    private (string Content, List<string> AtList) RenderRoomAt(ApiParams p, Conversation conversation)
    {
        var room = conversation.Room ?? throw ApiException.BadRequest("roomAt needs a room conversation (R:…)");
        var content = p.Required("content");
        var atList = p.RequiredList("atList").ToList();
        var names = new List<string>();
        foreach (var id in atList)
        {
            if (id == "0")
            {
                names.Add("@所有人");
                continue;
            }

            if (!room.HasMember(id))
            {
                throw ApiException.BadRequest($"'{id}' in atList is not a member of {room.ConversationId}");
            }

            names.Add("@" + (World.Find(id)?.Name ?? id));
        }

        var marks = Regex.Count(content, Regex.Escape(AtPlaceholder));
        if (marks > names.Count)
        {
            throw ApiException.BadRequest($"content has {marks} {AtPlaceholder} marks but atList names {names.Count}");
        }

        var index = 0;
        var rendered = Regex.Replace(content, Regex.Escape(AtPlaceholder), _ => names[index++]);
        if (index < names.Count)
        {
            rendered = string.Join(" ", names.Skip(index)) + " " + rendered;
        }

        return (rendered, atList);
    }

    /// <summary>Where the host keeps a sent file: its own path, or a Storage path for a downloaded URL.</summary>
    private string StoredPath(string fileUrl)
    {
        if (FileStore.IsLocal(fileUrl))
        {
            return fileUrl;
        }

        var name = Uri.TryCreate(fileUrl, UriKind.Absolute, out var uri) ? Path.GetFileName(uri.AbsolutePath) : "file";
        return Files.SizeOf(fileUrl) is not null && uri is not null
            ? uri.AbsolutePath
            : $"/gnapi/files/Storage/{Now:yyyyMMdd}/{World.Hex(32)}/{name}";
    }

    private static JsonObject MiniProgramData(MiniProgram mini) => new()
    {
        ["appicon"] = mini.AppIcon,
        ["appid"] = mini.AppId,
        ["appname"] = mini.AppName,
        ["page_path"] = mini.PagePath,
        ["title"] = mini.Title,
        ["username"] = mini.Username,
        ["cover_path"] = mini.CoverPath,
        ["cdn_type"] = 0,
    };

    private static JsonObject VideoNumData(VideoNum video) => new()
    {
        ["cover_url"] = video.CoverUrl,
        ["desc"] = video.Desc,
        ["feed_type"] = video.FeedType,
        ["nickname"] = video.Nickname,
        ["thumb_url"] = video.ThumbUrl,
        ["url"] = video.Url,
        ["extras"] = video.Extras,
        ["avatar"] = video.Avatar,
    };
}

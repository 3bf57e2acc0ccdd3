using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;

namespace OrleansWeCom.Emulator.Core;

/// <summary>The people and the outside world acting on a container: inbound messages and room or contact events.</summary>
/// <remarks>Over 400 lines and not split: it builds each of the seed's callback bodies (twelve message kinds, room and contact events), one sequence best read in one place.</remarks>
internal sealed partial class EmulatorState
{
    public static readonly string[] MessageTypes =
    [
        "text_msg", "image_msg", "video_msg", "voice_msg", "file_msg", "location_msg", "link_card_msg",
        "emoticon_msg", "red_packet_msg", "person_card_msg", "mini_program_msg", "video_num_msg",
    ];

    public static readonly string[] EventTypes =
    [
        "notify_type_contact_add", "notify_type_room_create", "notify_type_room_add_member", "notify_type_room_del_member",
        "notify_type_room_member_quit", "room_name_changed", "chat_gray_msg", "batch_msg_confirm",
    ];

    public JsonObject Inbound(string hostname, ApiParams p)
    {
        var type = p.Required("type");
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            if (container.Status != ContainerStatus.Online)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' is not online");
            }

            var account = container.Account!;
            var result = MessageTypes.Contains(type)
                ? InboundMessage(container, account, type, p)
                : type switch
                {
                    "notify_type_contact_add" => ContactAdd(container, account, p),
                    "notify_type_room_create" => RoomCreate(account, p),
                    "notify_type_room_add_member" or "notify_type_room_del_member" => RoomMembers(account, type, p),
                    "notify_type_room_member_quit" => RoomQuit(account, p),
                    "room_name_changed" => RoomRename(account, p),
                    "chat_gray_msg" => GrayMessage(container, account, p),
                    "batch_msg_confirm" => BatchConfirm(container, account, p),
                    _ => throw ApiException.BadRequest($"unknown inbound type '{type}'"),
                };
            return result;
        }
    }

    private JsonObject InboundMessage(Container container, Person account, string type, ApiParams p)
    {
        var conversation = ResolveConversation(account, p.String("conversationId") ?? DefaultConversation(account));
        var senderId = p.String("sender") ?? conversation.Peer?.UserId
            ?? conversation.Room!.Members.Select(m => m.UserId).FirstOrDefault(id => id != account.UserId)
            ?? throw ApiException.BadRequest("the room has nobody else to send");
        if (senderId == account.UserId)
        {
            throw ApiException.BadRequest("sender must be someone else than the logged-in account");
        }

        if (conversation.Room is { } room ? !room.HasMember(senderId) : senderId != conversation.Peer!.UserId)
        {
            throw ApiException.BadRequest($"sender '{senderId}' is not part of {conversation.Id}");
        }

        var sender = World.Find(senderId)!;
        var serverId = World.NextServerId();
        var data = InboundFields(type, p, sender);
        data["appinfo"] ??= World.Hex(19);
        data["conversation_id"] = conversation.Id;
        data["is_pc"] = 0;
        data["local_id"] = NextLocalId();
        data["send_time"] = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        data["sender"] = senderId;
        data["sender_name"] = sender.Name;
        data["server_id"] = serverId;
        Override(data, p);

        // A room message reaches every logged-in member; a single chat only its account.
        var targets = conversation.Room is { } r ? OnlineContainersOf(r.Members.Select(m => m.UserId)).ToList() : [container];
        foreach (var target in targets)
        {
            var copy = (JsonObject)data.DeepClone();
            copy["receiver"] = conversation.Room is null ? target.Account!.UserId : conversation.Room.RoomId;
            Post(target, type, copy);
        }

        return new JsonObject { ["serverId"] = serverId, ["conversationId"] = conversation.Id, ["sender"] = senderId, ["delivered"] = targets.Count };
    }

    private JsonObject InboundFields(string type, ApiParams p, Person sender)
    {
        var content = p.String("content");
        var date = Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string CachePath(string name) => $"/gnapi/files/Cache/{date}/{World.Hex(32)}/{name}";
        JsonObject Cdn(params string[] fields)
        {
            var cdn = new JsonObject();
            foreach (var field in fields)
            {
                cdn[field] = field switch
                {
                    "aes_key" => World.Hex(32),
                    "auth_key" => "v1_" + World.Hex(64),
                    "file_id" => World.Hex(96),
                    "file_name" => p.String("fileName") ?? "",
                    "md5" => World.Hex(32),
                    "url" or "ld_url" or "md_url" or "preview_img_url" => "https://imunion.weixin.qq.com/cgi-bin/mmae-bin/tpdownloadmedia?param=v1_" + World.Hex(40),
                    "height" => 120,
                    "width" => 89,
                    _ => p.Long("size") ?? 4096,
                };
            }

            return cdn;
        }

        return type switch
        {
            "text_msg" => new JsonObject { ["at_list"] = Envelope.Strings(p.List("atList")), ["content"] = content ?? "你好", ["content_type"] = 2 },
            "image_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "auth_key", "file_name", "height", "ld_size", "ld_url", "md5", "md_size", "md_url", "size", "url", "width"),
                ["cdn_type"] = 1, ["content_type"] = 101, ["imgWidth"] = 1279, ["imgHeight"] = 1706,
                ["file_path"] = p.String("filePath") ?? CachePath(Guid.NewGuid() + ".jpg"),
            },
            "video_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "auth_key", "file_name", "md5", "preview_img_size", "preview_img_url", "size", "url"),
                ["cdn_type"] = 1, ["content_type"] = 103, ["duration"] = p.Long("duration") ?? 29, ["height"] = 0, ["width"] = 0,
                ["videoWidth"] = 368, ["videoHeight"] = 640, ["file_path"] = p.String("filePath") ?? CachePath(Guid.NewGuid() + ".mp4"),
            },
            "voice_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "file_id", "file_name", "md5", "size"),
                ["cdn_type"] = 2, ["content_type"] = 16, ["duration"] = p.Long("duration") ?? 3,
                ["file_path"] = p.String("filePath") ?? CachePath(Guid.NewGuid() + ".aac"),
            },
            "file_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "auth_key", "file_name", "md5", "size", "url"),
                ["cdn_type"] = 1, ["content_type"] = 102,
                ["file_path"] = p.String("filePath") ?? CachePath(p.String("fileName") ?? "Setup.log"),
                ["file_size"] = p.Long("size") ?? 4096,
            },
            "location_msg" => new JsonObject
            {
                ["address"] = p.String("address") ?? "浙江省杭州市西湖区余杭塘路866号", ["content_type"] = 6,
                ["latitude"] = p.Double("latitude") ?? 30.30261, ["longitude"] = p.Double("longitude") ?? 120.08213,
                ["title"] = p.String("title") ?? "浙江大学(紫金港校区)", ["zoom"] = 15,
            },
            "link_card_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "auth_key", "size", "url"), ["cdn_type"] = 1, ["content_type"] = 13,
                ["desc"] = p.String("desc") ?? "", ["image_url"] = p.String("imageUrl") ?? "",
                ["title"] = p.String("title") ?? content ?? "链接", ["url"] = p.String("url") ?? "https://example.com",
            },
            "emoticon_msg" => new JsonObject
            {
                ["cdn"] = Cdn("aes_key", "file_id", "md5", "size"), ["cdn_type"] = 1, ["content_type"] = 29, ["height"] = 240,
                ["name"] = "动画表情", ["source_type"] = 101, ["type"] = 2,
                ["url"] = p.String("url") ?? $"https://wework.qpic.cn/wwpic/wwwx_{World.Hex(32)}/0", ["width"] = 240,
            },
            "red_packet_msg" => new JsonObject
            {
                ["appinfo"] = $"hongbao_{sender.UserId}_{World.Hex(16)}", ["content_type"] = 26,
                ["desc"] = $"来自{sender.Name}的红包,请进入手机版企业微信查看", ["money"] = p.Long("money") ?? 1,
                ["packet_id"] = World.Hex(31), ["remark"] = p.String("remark") ?? "",
            },
            "person_card_msg" => PersonCard(p),
            "mini_program_msg" => MiniProgramInbound(p),
            "video_num_msg" => VideoNumInbound(p),
            _ => throw ApiException.BadRequest($"unknown message type '{type}'"),
        };

        JsonObject PersonCard(ApiParams q)
        {
            var cardId = q.String("userId") ?? World.Corps[0].Customers[0].UserId;
            var card = World.Find(cardId);
            return new JsonObject
            {
                ["avatar"] = card?.Avatar ?? "", ["content_type"] = 41, ["corp_id"] = 0, ["corp_name"] = "微信",
                ["nickname"] = card?.Name ?? "", ["source"] = "微信", ["user_id"] = cardId,
            };
        }

        JsonObject MiniProgramInbound(ApiParams q)
        {
            var mini = World.MiniPrograms[0];
            var data = MiniProgramData(mini);
            data.Remove("cdn_type");
            data["appinfo"] = World.Hex(19);
            data["cdn"] = Cdn("aes_key", "file_id", "size");
            data["cdn_type"] = 2;
            data["content_type"] = 78;
            data["thumb_height"] = 504;
            data["thumb_width"] = 630;
            data["cover_path"] = CachePath(Guid.NewGuid().ToString());
            return data;
        }

        JsonObject VideoNumInbound(ApiParams q)
        {
            var data = VideoNumData(World.VideoNums[0]);
            data["content_type"] = 141;
            data["nickname"] = q.String("nickname") ?? World.VideoNums[0].Nickname;
            data["object_id"] = World.NextInt(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture) + "0000000000";
            data["object_nonce_id"] = World.NextInt(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture) + "_0_0_0_0_0";
            return data;
        }
    }

    private JsonObject ContactAdd(Container container, Person account, ApiParams p)
    {
        var userId = p.String("userId") ?? p.String("sender");
        var person = userId is null ? null : World.Find(userId);
        if (person is null)
        {
            person = World.Add(World.NewCustomer(userId, p.String("name")));
            World.CorpOf(account).Customers.Add(person);
        }
        else if (!person.IsCustomer)
        {
            throw ApiException.BadRequest("notify_type_contact_add is for customers (788… ids)");
        }

        var relations = World.RelationsOf(account.UserId);
        if (relations.TryGetValue(person.UserId, out var relation))
        {
            relation.IsDeleted = false;
            relation.DeleteTime = null;
        }
        else
        {
            relations[person.UserId] = new ContactRelation { ContactId = person.UserId, CreateTime = Now, Phones = [person.Mobile] };
        }

        var conversationId = World.SingleConversationId(account.UserId, person.UserId);
        var data = new JsonObject
        {
            ["acctid"] = "", ["avatar"] = person.Avatar, ["conversation_id"] = conversationId, ["corp_id"] = person.CorpId,
            ["mobile"] = "", ["nickname"] = "", ["position"] = "", ["realname"] = "", ["remark"] = "",
            ["sex"] = person.Sex, ["unionid"] = person.UnionId, ["user_id"] = person.UserId, ["username"] = person.Name,
        };
        Override(data, p);
        Post(container, "notify_type_contact_add", data);
        return new JsonObject { ["userId"] = person.UserId, ["conversationId"] = conversationId };
    }

    private JsonObject RoomCreate(Person account, ApiParams p)
    {
        var opUser = World.Find(p.String("opUserId") ?? account.UserId) ?? throw ApiException.NotFound("unknown opUserId");
        var members = p.RequiredList("members").Select(id => World.Find(id) ?? throw ApiException.NotFound($"unknown member '{id}'")).ToList();
        if (!members.Exists(m => m.UserId == account.UserId) && opUser.UserId != account.UserId)
        {
            members.Add(account);
        }

        var room = World.CreateRoom(account.CorpId, opUser.UserId, members.Select(m => m.UserId), Now.ToUnixTimeSeconds());
        room.Name = p.String("roomName") ?? "";
        NotifyRoom(room, "notify_type_room_create", RoomMemberEvent(room, opUser, members.Where(m => m.UserId != opUser.UserId)));
        return new JsonObject { ["conversationId"] = room.ConversationId };
    }

    private JsonObject RoomMembers(Person account, string type, ApiParams p)
    {
        var room = MemberRoom(account, p);
        var opUser = World.Find(p.String("opUserId") ?? account.UserId) ?? throw ApiException.NotFound("unknown opUserId");
        var members = p.RequiredList("members").Select(id => World.Find(id) ?? throw ApiException.NotFound($"unknown member '{id}'")).ToList();
        var adding = type == "notify_type_room_add_member";
        var audience = room.Members.Select(m => m.UserId).ToList();
        foreach (var member in members)
        {
            if (adding && !room.HasMember(member.UserId))
            {
                room.Members.Add(new RoomMember { UserId = member.UserId, InviteUserId = opUser.UserId, JoinTime = Now.ToUnixTimeSeconds() });
            }
            else if (!adding)
            {
                room.Members.RemoveAll(m => m.UserId == member.UserId);
                room.Admins.Remove(member.UserId);
            }
        }

        // The removed still hear of their removal; the added hear of their arrival.
        NotifyRoom(room, type, RoomMemberEvent(room, opUser, members), audience);
        return new JsonObject { ["conversationId"] = room.ConversationId, ["total"] = room.Members.Count };
    }

    private JsonObject RoomQuit(Person account, ApiParams p)
    {
        var room = MemberRoom(account, p);
        var quitterId = p.String("userId") ?? p.String("sender")
            ?? room.Members.Select(m => m.UserId).FirstOrDefault(id => id != account.UserId && id != room.OwnerId)
            ?? throw ApiException.BadRequest("nobody can quit the room");
        if (!room.HasMember(quitterId))
        {
            throw ApiException.BadRequest($"'{quitterId}' is not a member of {room.ConversationId}");
        }

        var audience = room.Members.Select(m => m.UserId).ToList();
        room.Members.RemoveAll(m => m.UserId == quitterId);
        room.Admins.Remove(quitterId);
        var quitter = World.Find(quitterId)!;
        NotifyRoom(room, "notify_type_room_member_quit", new JsonObject
        {
            ["op_user_id"] = quitterId, ["op_user_name"] = quitter.Name,
            ["room_conversation_id"] = room.ConversationId, ["room_name"] = World.RoomDisplayName(room),
        }, audience);
        return new JsonObject { ["conversationId"] = room.ConversationId, ["total"] = room.Members.Count };
    }

    private JsonObject RoomRename(Person account, ApiParams p)
    {
        var room = MemberRoom(account, p);
        var opUserId = p.String("opUserId") ?? account.UserId;
        Rename(room, opUserId, p.String("roomName") ?? p.Required("name"));
        return new JsonObject { ["conversationId"] = room.ConversationId, ["roomName"] = room.Name };
    }

    private void Rename(Room room, string opUserId, string name)
    {
        room.Name = name;
        NotifyRoom(room, "room_name_changed", new JsonObject
        {
            ["op_user_id"] = opUserId, ["room_conversation_id"] = room.ConversationId, ["room_name"] = name,
        });
    }

    private JsonObject GrayMessage(Container container, Person account, ApiParams p)
    {
        var conversation = ResolveConversation(account, p.String("conversationId") ?? DefaultConversation(account));
        var serverId = World.NextServerId();
        var data = new JsonObject
        {
            ["appinfo"] = "CAUQo5ABGOLw4emLMSAC_need_verify",
            ["content"] = p.String("content") ?? $"{conversation.Peer?.Name ?? "对方"}开启了联系人验证,你还不是他(她)的联系人。请先发送联系人验证请求,对方验证通过后,才能聊天。 发送联系人验证",
            ["content_type"] = 1011, ["conversation_id"] = conversation.Id, ["is_pc"] = 0, ["receiver"] = conversation.ReceiverId,
            ["send_time"] = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ["sender"] = account.UserId,
            ["sender_name"] = "", ["server_id"] = serverId,
        };
        Override(data, p);
        Post(container, "chat_gray_msg", data);
        return new JsonObject { ["serverId"] = serverId };
    }

    private JsonObject BatchConfirm(Container container, Person account, ApiParams p)
    {
        World.PendingBatchMessages[account.UserId] = World.PendingBatchMessages.GetValueOrDefault(account.UserId) + 1;
        var title = p.String("title") ?? "管理员通知你群发消息给客户";
        var data = new JsonObject
        {
            ["appinfo"] = $"KHGSC_{account.UserId}_{World.NextInt(100_000_000, 999_999_999)}_n",
            ["content"] = JsonSerializer.Serialize(new JsonObject { ["main_title"] = new JsonObject { ["title"] = title } }, Envelope.Json),
            ["sendtime"] = Now.ToUnixTimeSeconds(),
            ["title"] = title,
        };
        Override(data, p);
        Post(container, "batch_msg_confirm", data);
        return new JsonObject { ["pending"] = World.PendingBatchMessages[account.UserId] };
    }

    private Room MemberRoom(Person account, ApiParams p)
    {
        var conversation = ResolveConversation(account, p.Required("conversationId"));
        return conversation.Room ?? throw ApiException.BadRequest("a room event needs a room conversation (R:…)");
    }

    private string DefaultConversation(Person account) =>
        World.ExternalContacts(account.UserId).Select(c => World.SingleConversationId(account.UserId, c.UserId)).FirstOrDefault()
        ?? throw ApiException.BadRequest("the account has no contact; pass conversationId");

    private JsonObject RoomMemberEvent(Room room, Person opUser, IEnumerable<Person> members) => new()
    {
        ["member_list"] = Envelope.Array(members, m => new JsonObject { ["name"] = m.Name, ["user_id"] = m.UserId }),
        ["op_user_id"] = opUser.UserId,
        ["op_user_name"] = opUser.Name,
        ["room_conversation_id"] = room.ConversationId,
        ["room_name"] = World.RoomDisplayName(room),
    };

    /// <summary>Posts a room event to every online container whose account is (or was, for <paramref name="audience"/>) in the room.</summary>
    private void NotifyRoom(Room room, string type, JsonObject data, IEnumerable<string>? audience = null)
    {
        var ids = (audience ?? []).Concat(room.Members.Select(m => m.UserId));
        foreach (var container in OnlineContainersOf(ids))
        {
            Post(container, type, data.DeepClone());
        }
    }

    /// <summary>Fields under "data" in the inbound request replace the generated ones.</summary>
    private static void Override(JsonObject data, ApiParams p)
    {
        if (p.Element("data") is { ValueKind: JsonValueKind.Object } overrides)
        {
            foreach (var property in overrides.EnumerateObject())
            {
                data[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }
    }
}

using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;

namespace OrleansWeCom.Emulator.Core;

/// <summary>Rooms (群聊) as the account sees and changes them.</summary>
internal sealed partial class EmulatorState
{
    public JsonObject CreateGroup(string wxId, IReadOnlyList<string> memberIds)
    {
        lock (_gate)
        {
            var (_, account) = Online(wxId);
            var others = memberIds.Where(id => id != account.UserId).Distinct().ToList();
            if (others.Count < 2)
            {
                throw ApiException.BadRequest("a room needs at least two members besides the creator");
            }

            var relations = World.RelationsOf(account.UserId);
            var stranger = others.FirstOrDefault(id => !relations.ContainsKey(id));
            if (stranger is not null)
            {
                throw ApiException.BadRequest($"'{stranger}' is not a contact of wxId '{account.UserId}'");
            }

            var now = Now.ToUnixTimeSeconds();
            var room = World.CreateRoom(account.CorpId, account.UserId, others, now);
            NotifyRoom(room, "notify_type_room_create", RoomMemberEvent(room, account, others.Select(id => World.People[id])));
            return new JsonObject
            {
                ["createruin"] = account.UserId,
                ["createtime"] = now,
                ["error_code"] = 0,
                ["error_message"] = "",
                ["failmem"] = new JsonArray(new JsonObject { ["type"] = 0, ["vid"] = 0 }),
                ["msgid"] = long.Parse(World.NextServerId(), System.Globalization.CultureInfo.InvariantCulture),
                ["msgseq"] = World.NextInt(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["roomid"] = room.RoomId,
                ["roomname"] = room.Name,
                ["sessionid"] = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(World.Hex(12))),
                ["success_add_vidlist"] = Envelope.Array(others, id => new JsonObject { ["success_add_vidlist"] = id }),
            };
        }
    }

    public JsonArray Groups(string wxId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return Envelope.Array(World.Rooms.Values.Where(r => r.HasMember(account.UserId)), r => new JsonObject
        {
            ["wx_id"] = null,
            ["conversation_id"] = r.ConversationId,
            ["create_time"] = r.CreateTime,
            ["create_user_id"] = r.OwnerId,
            ["is_external"] = r.Members.Exists(m => World.Find(m.UserId)?.IsCustomer == true) ? 1 : 0,
            ["nickname"] = World.RoomDisplayName(r),
            ["is_admin"] = r.Admins.Contains(account.UserId) ? 1 : 0,
            ["is_creator"] = r.OwnerId == account.UserId ? 1 : 0,
            ["total"] = r.Members.Count,
        });
    });

    public void RenameGroup(string wxId, string conversationId, string name) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        Rename(RoomOf(account, conversationId), account.UserId, name);
        return 0;
    });

    public JsonObject GroupMembers(string wxId, string conversationId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var room = RoomOf(account, conversationId);
        var relations = World.RelationsOf(account.UserId);
        return new JsonObject
        {
            ["conversation_id"] = room.ConversationId,
            ["member_list"] = Envelope.Array(room.Members, m =>
            {
                var p = World.People[m.UserId];
                return new JsonObject
                {
                    ["acctid"] = p.Acctid, ["avatar"] = p.Avatar, ["corp_id"] = p.CorpId, ["invite_user_id"] = m.InviteUserId,
                    ["is_admin"] = room.Admins.Contains(m.UserId) ? 1 : 0, ["join_scene"] = m.JoinScene, ["join_time"] = m.JoinTime,
                    ["mobile"] = p.IsCustomer ? "" : p.Mobile, ["nickname"] = p.Nickname, ["position"] = p.Position, ["realname"] = p.RealName,
                    ["remark"] = relations.GetValueOrDefault(m.UserId)?.Remark ?? "", ["room_nickname"] = m.RoomNickname, ["sex"] = p.Sex,
                    ["unionid"] = p.UnionId, ["user_id"] = p.UserId, ["username"] = p.Name,
                };
            }),
            ["page_num"] = 1,
            ["page_size"] = 100000,
            ["total"] = room.Members.Count,
            ["total_page"] = 1,
        };
    });

    /// <summary>
    /// The seed: an internal room takes only coworkers — inviting a customer answers success and changes nothing.
    /// </summary>
    public void AddGroupMembers(string wxId, string conversationId, IReadOnlyList<string> memberIds) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var room = RoomOf(account, conversationId);
        var isExternal = room.Members.Exists(m => World.People[m.UserId].IsCustomer);
        var added = new List<Person>();
        foreach (var id in memberIds.Distinct())
        {
            var person = World.Find(id) ?? throw ApiException.BadRequest($"unknown member '{id}'");
            if (room.HasMember(id) || (person.IsCustomer && !isExternal))
            {
                continue;
            }

            room.Members.Add(new RoomMember { UserId = id, InviteUserId = account.UserId, JoinTime = Now.ToUnixTimeSeconds() });
            added.Add(person);
        }

        if (added.Count > 0)
        {
            NotifyRoom(room, "notify_type_room_add_member", RoomMemberEvent(room, account, added));
        }

        return 0;
    });

    /// <summary>The seed: only the owner or an admin removes members; anyone else gets success and nothing changes.</summary>
    public void RemoveGroupMembers(string wxId, string conversationId, IReadOnlyList<string> memberIds) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var room = RoomOf(account, conversationId);
        if (!room.CanManage(account.UserId))
        {
            return 0;
        }

        var audience = room.Members.Select(m => m.UserId).ToList();
        var removed = memberIds.Distinct().Where(id => id != room.OwnerId && room.HasMember(id)).Select(id => World.People[id]).ToList();
        foreach (var person in removed)
        {
            room.Members.RemoveAll(m => m.UserId == person.UserId);
            room.Admins.Remove(person.UserId);
        }

        if (removed.Count > 0)
        {
            NotifyRoom(room, "notify_type_room_del_member", RoomMemberEvent(room, account, removed), audience);
        }

        return 0;
    });

    /// <summary>The seed: only the owner or an admin can post a notice; from anyone else it answers success and is not posted.</summary>
    public void PostNotice(string wxId, string conversationId, string content) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var room = RoomOf(account, conversationId);
        if (room.CanManage(account.UserId))
        {
            room.Notices.Add(content);
        }

        return 0;
    });

    public void AddMemberAsContact(string wxId, string conversationId, string memberWxId, string verify) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var room = RoomOf(account, conversationId);
        if (!room.HasMember(memberWxId))
        {
            throw ApiException.BadRequest($"'{memberWxId}' is not a member of {room.ConversationId}");
        }

        World.FriendRequests.Add(new FriendRequest(account.UserId, memberWxId, verify, room.ConversationId, Now.ToUnixTimeSeconds()));
        return 0;
    });

    private Room RoomOf(Person account, string conversationId)
    {
        var id = conversationId.Trim();
        return ResolveConversation(account, id.StartsWith("R:", StringComparison.OrdinalIgnoreCase) ? id : "R:" + id).Room!;
    }
}

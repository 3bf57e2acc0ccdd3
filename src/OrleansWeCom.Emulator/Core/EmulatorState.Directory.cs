using System.Globalization;
using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;

namespace OrleansWeCom.Emulator.Core;

/// <summary>Contacts, labels and id conversions of a logged-in account.</summary>
internal sealed partial class EmulatorState
{
    public JsonArray HostUsers() => Locked(() => Envelope.Array(World.HostUsers, u => new JsonObject
    {
        ["id"] = u.Id, ["username"] = u.Username, ["createdAt"] = u.CreatedAt, ["phone"] = u.Phone, ["avatar"] = u.Avatar,
        ["Permissions"] = Envelope.Array(u.Permissions, x => JsonValue.Create(x)), ["IsAdmin"] = u.IsAdmin, ["Remark"] = u.Remark,
    }));

    public JsonArray ExternalContacts(string wxId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return Envelope.Array(World.RelationsOf(account.UserId).Values.Where(r => World.People[r.ContactId].IsCustomer), r => ExternalContactJson(account, r));
    });

    public JsonArray InnerContacts(string wxId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return Envelope.Array(World.RelationsOf(account.UserId).Values.Where(r => !World.People[r.ContactId].IsCustomer), r => ContactJson(account, r));
    });

    public JsonObject ExtendInfo(string wxId, string contactId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var r = Relation(account, contactId);
        return new JsonObject
        {
            ["corp_remark"] = r.CorpRemark, ["desc"] = r.Desc, ["phone_list"] = Envelope.Strings(r.Phones),
            ["remark"] = r.Remark, ["status"] = r.IsDeleted ? 0 : 1, ["user_id"] = r.ContactId,
        };
    });

    public void UpdateContact(string wxId, string contactId, Action<ContactRelation> update) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        update(Relation(account, contactId));
        return 0;
    });

    public void RemoveContact(string wxId, string contactId) => UpdateContact(wxId, contactId, r =>
    {
        r.IsDeleted = true;
        r.DeleteTime = Now;
    });

    public JsonArray QueryExternal(IReadOnlyList<ApiParams> infos) => Locked(() =>
    {
        var result = new JsonArray();
        foreach (var info in infos)
        {
            var (_, account) = Bound(info.Required("WxId"));
            if (World.RelationsOf(account.UserId).TryGetValue(info.Required("ContactUserId"), out var r) && World.People[r.ContactId].IsCustomer)
            {
                result.Add(ExternalContactJson(account, r));
            }
        }

        return result;
    });

    public JsonObject SearchByPhone(string wxId, string keyword) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var found = World.People.Values.FirstOrDefault(p => p.Mobile == keyword.Trim());
        var datalist = new JsonArray();
        if (found is not null)
        {
            var info = (JsonObject)JsonNode.Parse(SearchTemplates.ContactInfo)!;
            var wx = (JsonObject)JsonNode.Parse(SearchTemplates.ContactInfoWx)!;
            var target = found.IsCustomer ? wx : info;
            target["uin"] = found.UserId;
            target["name"] = found.Name;
            target["iconurl"] = found.Avatar;
            target["gender"] = found.Sex;
            target["unionid"] = found.UnionId;
            target["corpid"] = found.CorpId;
            datalist.Add(new JsonObject
            {
                ["contact_info"] = info, ["contact_info_wx"] = wx, ["corpinfo"] = JsonNode.Parse(SearchTemplates.CorpInfo),
                ["flag"] = 0, ["item_type"] = 1, ["name"] = "", ["openid"] = "orFrbs" + found.UnionId[6..],
                ["relation"] = 1, ["search_status"] = 1, ["wx_ticket"] = "",
            });
        }

        return new JsonObject
        {
            ["contact_info"] = JsonNode.Parse(SearchTemplates.ContactInfo), ["corpinfo"] = JsonNode.Parse(SearchTemplates.CorpInfo),
            ["datalist"] = datalist, ["error_code"] = 0, ["error_message"] = found is null ? "not found" : "", ["flag"] = 0,
            ["keyword"] = keyword, ["name"] = "", ["relation"] = found is null ? 0 : 1, ["search_status"] = found is null ? 0 : 1,
        };
    });

    /// <summary>A friend request: recorded in the world; the person accepts through the control API (notify_type_contact_add).</summary>
    public void RequestFriend(string wxId, string contactUserId, string verify, string via) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        _ = World.Find(contactUserId) ?? throw ApiException.NotFound($"unknown user '{contactUserId}'");
        World.FriendRequests.Add(new FriendRequest(account.UserId, contactUserId, verify, via, Now.ToUnixTimeSeconds()));
        return 0;
    });

    public JsonArray Labels(string wxId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return Envelope.Array(World.CorpOf(account).Labels, l => new JsonObject
        {
            ["corpId"] = l.CorpId, ["name"] = l.Name, ["labelId"] = l.LabelId, ["labelGroupId"] = l.GroupId, ["dataType"] = 0,
            ["labelType"] = l.LabelType, ["sortOrder"] = l.SortOrder, ["business"] = 0, ["createTime"] = l.CreateTime,
        });
    });

    public void SetLabels(string wxId, string contactUserId, IReadOnlyList<string> labelIds) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        var corp = World.CorpOf(account);
        var unknown = labelIds.FirstOrDefault(id => !corp.Labels.Exists(l => l.LabelId == id));
        if (unknown is not null)
        {
            throw ApiException.BadRequest($"unknown labelId '{unknown}'");
        }

        Relation(account, contactUserId).LabelIds = labelIds.Distinct().ToList();
        return 0;
    });

    public JsonArray ContactLabels(string wxId, string contactUserId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var corp = World.CorpOf(account);
        return Envelope.Array(Relation(account, contactUserId).LabelIds, id => new JsonObject
        {
            ["name"] = corp.Labels.Find(l => l.LabelId == id)?.Name ?? "", ["label_id"] = id,
        });
    });

    public JsonArray SearchByLabels(IReadOnlyList<string> wxIds, IReadOnlyList<string> labelIds, int pageIndex, int pageSize) => Locked(() =>
    {
        var rows = new List<JsonObject>();
        foreach (var wxId in wxIds)
        {
            var (_, account) = Bound(wxId);
            foreach (var r in World.RelationsOf(account.UserId).Values.Where(r => labelIds.Count == 0 || r.LabelIds.Intersect(labelIds).Any()))
            {
                var contact = ContactJson(account, r);
                contact["wx_id"] = account.UserId;
                contact["desc"] = r.Desc;
                contact["external_job"] = null;
                contact["is_delete"] = r.IsDeleted;
                contact["delete_time"] = r.DeleteTime is { } t ? Format(t) : null;
                contact["LastChatTimestamp"] = r.CreateTime.ToUnixTimeMilliseconds();
                contact["LastChatMsg"] = "";
                contact["NewMsgCount"] = 0;
                contact["WarnMsg"] = new JsonObject();
                rows.Add(contact);
            }
        }

        return Envelope.Array(rows.Skip((Math.Max(1, pageIndex) - 1) * Math.Max(1, pageSize)).Take(Math.Max(1, pageSize)), r => r);
    });

    public JsonArray LabelContacts(string wxId, string labelId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return Envelope.Array(World.RelationsOf(account.UserId).Values.Where(r => r.LabelIds.Contains(labelId)), r =>
        {
            var contact = ContactJson(account, r);
            contact["external_user_id"] = World.People[r.ContactId].IsCustomer ? World.ExternalUserId(account.CorpId, r.ContactId) : null;
            return contact;
        });
    });

    /// <summary>788 id to wm id; unknown pairs are 404, or "" for the FromDb form as the seed says.</summary>
    public JsonObject ToExternalUserId(string wxId, string contactUserId, bool fromDb) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var known = World.RelationsOf(account.UserId).ContainsKey(contactUserId) && World.Find(contactUserId) is { IsCustomer: true };
        return !known && !fromDb
            ? throw ApiException.NotFound($"'{contactUserId}' is not a customer of wxId '{wxId}'")
            : new JsonObject { ["ExternalUserId"] = known ? World.ExternalUserId(account.CorpId, contactUserId) : "" };
    });

    public JsonObject ToContactUserId(string wxId, string externalUserId, bool fromDb) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var match = FindByExternalId(account, externalUserId);
        return match is null && !fromDb
            ? throw ApiException.NotFound($"no customer of wxId '{wxId}' has ExternalUserId '{externalUserId}'")
            : new JsonObject { ["ContactUserId"] = match ?? "" };
    });

    public JsonObject ToExternalRoomId(string wxId, string roomId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        return new JsonObject { ["ExternalRoomId"] = ResolveConversation(account, roomId.StartsWith("R:", StringComparison.OrdinalIgnoreCase) ? roomId : "R:" + roomId).Room!.ExternalRoomId };
    });

    public JsonObject ToRoomId(string wxId, string externalRoomId) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        var room = World.Rooms.Values.FirstOrDefault(r => r.ExternalRoomId == externalRoomId && r.HasMember(account.UserId))
            ?? throw ApiException.NotFound($"no room of wxId '{wxId}' has ExternalRoomId '{externalRoomId}'");
        return new JsonObject { ["RoomId"] = room.ConversationId };
    });

    public JsonObject Relation(string wxId, string? contactUserId, string? externalUserId, bool sync) => Locked(() =>
    {
        var (_, account) = Bound(wxId);
        if (string.IsNullOrWhiteSpace(contactUserId) && string.IsNullOrWhiteSpace(externalUserId))
        {
            throw ApiException.BadRequest("ContactUserId and ExternalUserId cannot both be empty");
        }

        var id = !string.IsNullOrWhiteSpace(contactUserId)
            ? contactUserId
            : FindByExternalId(account, externalUserId!) ?? throw ApiException.NotFound($"unknown ExternalUserId '{externalUserId}'");
        var r = Relation(account, id);
        var person = World.People[id];
        var corp = World.CorpOf(account);
        var result = new JsonObject
        {
            ["ContactUserId"] = id,
            ["ExternalUserId"] = person.IsCustomer ? World.ExternalUserId(account.CorpId, id) : "wo" + World.ExternalUserId(account.CorpId, id)[2..],
            ["CorpId"] = corp.OpenCorpId,
            ["CorpIdOrigin"] = corp.CorpId,
            ["UnionId"] = person.UnionId,
            ["AddWay"] = r.AddWay,
            ["State"] = null,
            ["CreateTime"] = Format(r.CreateTime),
            ["AddWayDesc"] = r.AddWay switch { 1 => "扫描二维码", 2 => "搜索手机号", _ => "未知来源" },
        };
        if (sync)
        {
            result["Name"] = person.Name;
            result["Avatar"] = person.Avatar;
        }

        return result;
    });

    public void ConfirmBatch(string wxId) => Locked(() =>
    {
        var (_, account) = Online(wxId);
        World.PendingBatchMessages.Remove(account.UserId);
        return 0;
    });

    private string? FindByExternalId(Person account, string externalUserId) =>
        World.RelationsOf(account.UserId).Keys.FirstOrDefault(id => World.ExternalUserId(account.CorpId, id) == externalUserId);

    private ContactRelation Relation(Person account, string contactId) =>
        World.RelationsOf(account.UserId).GetValueOrDefault(contactId.Trim())
        ?? throw ApiException.NotFound($"'{contactId}' is not a contact of wxId '{account.UserId}'");

    private JsonObject ContactJson(Person account, ContactRelation r)
    {
        var p = World.People[r.ContactId];
        return new JsonObject
        {
            ["avatar"] = p.Avatar, ["conversation_id"] = World.SingleConversationId(account.UserId, p.UserId), ["corp_id"] = p.CorpId,
            ["nickname"] = p.Nickname, ["position"] = p.Position, ["realname"] = p.RealName, ["remark"] = r.Remark,
            ["sex"] = p.Sex, ["user_id"] = p.UserId, ["username"] = p.Name,
        };
    }

    private JsonObject ExternalContactJson(Person account, ContactRelation r)
    {
        var contact = ContactJson(account, r);
        contact["external_user_id"] = World.ExternalUserId(account.CorpId, r.ContactId);
        contact["is_delete"] = r.IsDeleted;
        contact["delete_time"] = r.DeleteTime is { } t ? Format(t) : null;
        return contact;
    }

    public JsonObject DescribeWorld() => Locked(() => new JsonObject
    {
        ["seed"] = Options.Seed,
        ["corps"] = Envelope.Array(World.Corps, c => new JsonObject
        {
            ["corpId"] = c.CorpId,
            ["name"] = c.Name,
            ["accounts"] = Envelope.Array(c.Accounts, a => new JsonObject
            {
                ["wxId"] = a.UserId, ["name"] = a.Name, ["hostname"] = BoundContainer(a.UserId)?.Hostname,
                ["externalContacts"] = Envelope.Strings(World.ExternalContacts(a.UserId).Select(x => x.UserId)),
                ["pendingBatchMessages"] = World.PendingBatchMessages.GetValueOrDefault(a.UserId),
            }),
            ["customers"] = Envelope.Array(c.Customers, x => new JsonObject { ["userId"] = x.UserId, ["name"] = x.Name, ["mobile"] = x.Mobile }),
            ["labels"] = Envelope.Array(c.Labels, l => new JsonObject { ["labelId"] = l.LabelId, ["name"] = l.Name }),
        }),
        ["rooms"] = Envelope.Array(World.Rooms.Values, r => new JsonObject
        {
            ["conversationId"] = r.ConversationId, ["name"] = World.RoomDisplayName(r), ["corpId"] = r.CorpId, ["ownerId"] = r.OwnerId,
            ["admins"] = Envelope.Strings(r.Admins), ["members"] = Envelope.Strings(r.Members.Select(m => m.UserId)), ["notices"] = Envelope.Strings(r.Notices),
        }),
        ["friendRequests"] = Envelope.Array(World.FriendRequests, f => new JsonObject
        {
            ["wxId"] = f.WxId, ["contactUserId"] = f.ContactUserId, ["verify"] = f.Verify, ["via"] = f.Via, ["time"] = f.Time,
        }),
        ["miniPrograms"] = Envelope.Array(World.MiniPrograms, m => JsonValue.Create(m.Id)),
        ["videoNums"] = Envelope.Array(World.VideoNums, v => JsonValue.Create(v.Id)),
        ["hostUsers"] = Envelope.Strings(World.HostUsers.Select(u => u.Id)),
        ["containers"] = Envelope.Array(_containers.Values, c => new JsonObject
        {
            ["hostname"] = c.Hostname, ["userId"] = c.UserId, ["status"] = (int)c.Status, ["wxId"] = c.Account?.UserId,
        }),
    });
}

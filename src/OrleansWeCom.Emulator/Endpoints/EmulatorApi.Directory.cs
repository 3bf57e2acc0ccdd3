using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Endpoints;

internal static partial class EmulatorApi
{
    private static void MapContacts(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("GET", "/contact/external/list", p => Envelope.Ok(state.ExternalContacts(p.Required("wxId"))));
        open.Api("GET", "/contact/inner/list", p => Envelope.Ok(state.InnerContacts(p.Required("wxId"))));
        open.Api("GET", "/contact/extendinfo", p => Envelope.Ok(state.ExtendInfo(p.Required("wxId"), p.Required("ContactId"))));
        open.Api("PUT", "/contact/remark", p => Done(() => state.UpdateContact(p.Required("wxId"), p.Required("contactId"), r => r.Remark = p.String("remark") ?? "")));
        open.Api("PUT", "/contact/desc", p => Done(() => state.UpdateContact(p.Required("wxId"), p.Required("contactId"), r => r.Desc = p.String("desc") ?? "")));
        open.Api("PUT", "/contact/phone", p =>
        {
            var phones = p.List("phones").ToList();
            return Done(() => state.UpdateContact(p.Required("wxId"), p.Required("contactId"), r => r.Phones = phones));
        });
        open.Api("POST", "/contact/remove", p => Done(() => state.RemoveContact(p.Required("wxId"), p.Required("ContactUserId"))));
        open.Api("POST", "/contact/external/query", p =>
        {
            var infos = p.Objects("ContactInfos");
            return infos.Count == 0 ? throw ApiException.BadRequest("parameter 'ContactInfos' is required") : Envelope.Ok(state.QueryExternal(infos));
        });
        open.Api("GET", "/contact/search", p => Envelope.Ok(state.SearchByPhone(p.Required("wxId"), p.Required("keyword"))));
        open.Api("POST", "/contact/search/add", p => Done(() => state.RequestFriend(p.Required("wxId"), p.Required("contactUserId"), p.String("verify") ?? "", "search")));
    }

    private static void MapGroups(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("POST", "/group", p => Envelope.Ok(state.CreateGroup(p.Required("wxId"), p.RequiredList("memberWxIds"))));
        open.Api("GET", "/group/list", p => Envelope.Ok(state.Groups(p.Required("wxId"))));
        open.Api("PUT", "/group/name", p => Done(() => state.RenameGroup(p.Required("wxId"), p.Required("conversationId"), p.Required("name"))));
        open.Api("GET", "/group/member/list", p => Envelope.Ok(state.GroupMembers(p.Required("wxId"), p.Required("conversationId"))));
        open.Api("POST", "/group/member", p => Done(() => state.AddGroupMembers(p.Required("wxId"), p.Required("conversationId"), p.RequiredList("memberWxIds"))));
        open.Api("DELETE", "/group/member", p => Done(() => state.RemoveGroupMembers(p.Required("wxId"), p.Required("conversationId"), p.RequiredList("memberWxIds"))));
        open.Api("POST", "/group/member/contact", p => Done(() => state.AddMemberAsContact(p.Required("wxId"), p.Required("conversationId"), p.Required("memberWxId"), p.String("verify") ?? "")));
        open.Api("POST", "/group/notice", p => Done(() => state.PostNotice(p.Required("WxId"), p.Required("ConversationId"), p.Required("Content"))));
    }

    private static void MapLabels(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("GET", "/label/all", p => Envelope.Ok(state.Labels(p.Required("wxId"))));
        open.Api("POST", "/label/contact/setlabel", p =>
        {
            if (!p.Has("labelIds"))
            {
                throw ApiException.BadRequest("parameter 'labelIds' is required ([] clears)");
            }

            return Done(() => state.SetLabels(p.Required("wxId"), p.Required("contactUserId"), p.List("labelIds")));
        });
        open.Api("GET", "/label/contact/labels", p => Envelope.Ok(state.ContactLabels(p.Required("wxId"), p.Required("contactUserId"))));
        open.Api("POST", "/label/contact/search", p => Envelope.Ok(state.SearchByLabels(
            p.RequiredList("wxids"), p.List("labelIds"), (int)(p.Long("PageIndex") ?? 1), (int)(p.Long("PageSize") ?? 100))));
        open.Api("GET", "/label/contacts", p => Envelope.Ok(state.LabelContacts(p.Required("wxId"), p.Required("labelId"))));
    }

    private static void MapIds(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("POST", "/contact/externalUserId", p => Envelope.Ok(state.ToExternalUserId(p.Required("WxId"), p.Required("ContactUserId"), fromDb: false)));
        open.Api("POST", "/contact/externalUserIdFromDb", p => Envelope.Ok(state.ToExternalUserId(p.Required("WxId"), p.Required("ContactUserId"), fromDb: true)));
        open.Api("POST", "/contact/contactUserId", p => Envelope.Ok(state.ToContactUserId(p.Required("WxId"), p.Required("ExternalUserId"), fromDb: false)));
        open.Api("POST", "/contact/contactUserIdFromDb", p => Envelope.Ok(state.ToContactUserId(p.Required("WxId"), p.Required("ExternalUserId"), fromDb: true)));
        open.Api("POST", "/group/externalRoomId", p => Envelope.Ok(state.ToExternalRoomId(p.Required("WxId"), p.Required("RoomId"))));
        open.Api("POST", "/group/RoomId", p => Envelope.Ok(state.ToRoomId(p.Required("WxId"), p.Required("ExternalRoomId"))));
        open.Api("GET", "/contact/relation", p => Envelope.Ok(state.Relation(p.Required("wxId"), p.String("ContactUserId"), p.String("ExternalUserId"), sync: false)));
        open.Api("POST", "/contact/relation/sync", p => Envelope.Ok(state.Relation(p.Required("wxId"), p.Required("ContactUserId"), null, sync: true)));
    }

    private static void MapOther(RouteGroupBuilder open, EmulatorState state)
    {
        open.Api("GET", "/miniprogram/list", _ => Envelope.Ok(state.Locked(() => Envelope.Array(state.World.MiniPrograms, m => new JsonObject
        {
            ["id"] = m.Id, ["username"] = m.Username, ["appid"] = m.AppId, ["appname"] = m.AppName, ["appicon"] = m.AppIcon,
            ["title"] = m.Title, ["page_path"] = m.PagePath, ["cover_path"] = m.CoverPath, ["type"] = m.Type,
        }))));
        open.Api("GET", "/videonum/list", _ => Envelope.Ok(state.Locked(() => Envelope.Array(state.World.VideoNums, v => new JsonObject
        {
            ["id"] = v.Id, ["cover_url"] = v.CoverUrl, ["desc"] = v.Desc, ["feed_type"] = v.FeedType, ["nickname"] = v.Nickname,
            ["thumb_url"] = v.ThumbUrl, ["url"] = v.Url, ["extras"] = v.Extras, ["avatar"] = v.Avatar, ["type"] = v.Type,
        }))));
        open.Api("POST", "/batchmsg/confirm", p => Done(() => state.ConfirmBatch(p.Required("wxId"))));
    }
}

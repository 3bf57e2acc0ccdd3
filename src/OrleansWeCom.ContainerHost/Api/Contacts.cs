using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>
/// A contact as listed by <c>/contact/external/list</c>, <c>/contact/inner/list</c>, <c>/contact/external/query</c>
/// and <c>/label/contacts</c>; the external-only fields stay null for inner contacts.
/// </summary>
public sealed record Contact
{
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("realname")] public string? RealName { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("sex")] public int Sex { get; init; }

    /// <summary>78… for WeChat users, 16… for WeCom users.</summary>
    [JsonPropertyName("user_id")] public string? UserId { get; init; }

    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("external_user_id")] public string? ExternalUserId { get; init; }
    [JsonPropertyName("is_delete")] public bool? IsDelete { get; init; }
    [JsonPropertyName("delete_time")] public string? DeleteTime { get; init; }
}

/// <summary><c>data</c> of <c>GET /contact/extendinfo</c>.</summary>
public sealed record ContactExtendInfo
{
    [JsonPropertyName("corp_remark")] public string? CorpRemark { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("phone_list")] public IReadOnlyList<string>? PhoneList { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("status")] public int Status { get; init; }
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
}

/// <summary>Body of <c>PUT /contact/remark</c>.</summary>
public sealed record ContactRemarkRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("contactId")] public required string ContactId { get; init; }
    [JsonPropertyName("remark")] public required string Remark { get; init; }
}

/// <summary>Body of <c>PUT /contact/desc</c>.</summary>
public sealed record ContactDescRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("contactId")] public required string ContactId { get; init; }
    [JsonPropertyName("desc")] public required string Desc { get; init; }
}

/// <summary>Body of <c>PUT /contact/phone</c>.</summary>
public sealed record ContactPhoneRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("contactId")] public required string ContactId { get; init; }
    [JsonPropertyName("phones")] public required IReadOnlyList<string> Phones { get; init; }
}

/// <summary>Body of <c>POST /contact/remove</c>.</summary>
public sealed record ContactRemoveRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("ContactUserId")] public required string ContactUserId { get; init; }
}

/// <summary>Body of <c>POST /contact/external/query</c>.</summary>
public sealed record ContactQueryRequest
{
    [JsonPropertyName("ContactInfos")] public required IReadOnlyList<ContactRef> ContactInfos { get; init; }
}

/// <summary>A customer of one account, as named by the id-conversion and query calls.</summary>
public sealed record ContactRef
{
    [JsonPropertyName("WxId")] public required string WxId { get; init; }
    [JsonPropertyName("ContactUserId")] public required string ContactUserId { get; init; }
}

/// <summary>Body of <c>POST /contact/search/add</c>, fields taken from <c>/contact/search</c>'s <c>datalist[0]</c>.</summary>
public sealed record ContactSearchAddRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("contactUserId")] public required string ContactUserId { get; init; }
    [JsonPropertyName("openid")] public string? OpenId { get; init; }
    [JsonPropertyName("wxticket")] public string WxTicket { get; init; } = "";
    [JsonPropertyName("verify")] public string? Verify { get; init; }
}

/// <summary>
/// <c>data</c> of <c>GET /contact/search</c>. The host passes WeCom's raw profile through; its many fields change
/// shape between WeCom and WeChat users, so they are kept as JSON and only the ones a caller needs are typed.
/// </summary>
public sealed record ContactSearchResult
{
    [JsonPropertyName("contact_info")] public JsonElement? ContactInfo { get; init; }
    [JsonPropertyName("corpinfo")] public JsonElement? CorpInfo { get; init; }
    [JsonPropertyName("datalist")] public IReadOnlyList<ContactSearchItem>? DataList { get; init; }
    [JsonPropertyName("error_code")] public int ErrorCode { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("flag")] public int Flag { get; init; }
    [JsonPropertyName("keyword")] public string? Keyword { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("relation")] public int Relation { get; init; }
    [JsonPropertyName("search_status")] public int SearchStatus { get; init; }
}

/// <summary>One item of <see cref="ContactSearchResult.DataList"/>.</summary>
public sealed record ContactSearchItem
{
    [JsonPropertyName("contact_info")] public JsonElement? ContactInfo { get; init; }
    [JsonPropertyName("contact_info_wx")] public JsonElement? ContactInfoWx { get; init; }
    [JsonPropertyName("corpinfo")] public JsonElement? CorpInfo { get; init; }
    [JsonPropertyName("flag")] public int Flag { get; init; }
    [JsonPropertyName("item_type")] public int ItemType { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("openid")] public string? OpenId { get; init; }
    [JsonPropertyName("relation")] public int Relation { get; init; }
    [JsonPropertyName("search_status")] public int SearchStatus { get; init; }
    [JsonPropertyName("wx_ticket")] public string? WxTicket { get; init; }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>One item of <c>GET /label/all</c>; <c>labelGroupId</c> 0 marks a group, <c>labelType</c> 1 corp, 2 personal.</summary>
public sealed record Label
{
    [JsonPropertyName("corpId")] public string? CorpId { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("labelId")] public string? LabelId { get; init; }
    [JsonPropertyName("labelGroupId")] public string? LabelGroupId { get; init; }
    [JsonPropertyName("dataType")] public int DataType { get; init; }
    [JsonPropertyName("labelType")] public int LabelType { get; init; }
    [JsonPropertyName("sortOrder")] public int SortOrder { get; init; }
    [JsonPropertyName("business")] public int Business { get; init; }
    [JsonPropertyName("createTime")] public long CreateTime { get; init; }
}

/// <summary>Body of <c>POST /label/contact/setlabel</c>: the complete new set (empty clears).</summary>
public sealed record SetContactLabelsRequest
{
    [JsonPropertyName("labelIds")] public required IReadOnlyList<string> LabelIds { get; init; }
    [JsonPropertyName("contactUserId")] public required string ContactUserId { get; init; }
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
}

/// <summary>One item of <c>GET /label/contact/labels</c>.</summary>
public sealed record ContactLabel
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("label_id")] public string? LabelId { get; init; }
}

/// <summary>Body of <c>POST /label/contact/search</c>; pages count from 1.</summary>
public sealed record LabelSearchRequest
{
    [JsonPropertyName("wxids")] public required IReadOnlyList<string> WxIds { get; init; }
    [JsonPropertyName("labelIds")] public required IReadOnlyList<string> LabelIds { get; init; }
    [JsonPropertyName("PageIndex")] public int PageIndex { get; init; } = 1;
    [JsonPropertyName("PageSize")] public int PageSize { get; init; } = 100;
}

/// <summary>One item of <c>POST /label/contact/search</c>.</summary>
public sealed record LabeledContact
{
    [JsonPropertyName("wx_id")] public string? WxId { get; init; }
    [JsonPropertyName("user_id")] public string? UserId { get; init; }
    [JsonPropertyName("conversation_id")] public string? ConversationId { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("external_job")] public string? ExternalJob { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("realname")] public string? RealName { get; init; }
    [JsonPropertyName("remark")] public string? Remark { get; init; }
    [JsonPropertyName("sex")] public int Sex { get; init; }
    [JsonPropertyName("is_delete")] public bool? IsDelete { get; init; }
    [JsonPropertyName("delete_time")] public string? DeleteTime { get; init; }
    [JsonPropertyName("LastChatTimestamp")] public long? LastChatTimestamp { get; init; }
    [JsonPropertyName("LastChatMsg")] public string? LastChatMsg { get; init; }
    [JsonPropertyName("NewMsgCount")] public int NewMsgCount { get; init; }
    [JsonPropertyName("WarnMsg")] public JsonElement? WarnMsg { get; init; }
}

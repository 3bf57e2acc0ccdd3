using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>What every send carries: the sending account and the conversation (<c>S:</c> one-to-one, <c>R:</c> room).</summary>
public abstract record MessageRequest
{
    [JsonPropertyName("wxId")]
    public required string WxId { get; init; }

    [JsonPropertyName("conversationId")]
    public required string ConversationId { get; init; }
}

/// <summary><c>POST /msg/text</c>.</summary>
public sealed record TextMessage : MessageRequest
{
    [JsonPropertyName("content")]
    public required string Content { get; init; }
}

/// <summary><c>POST /msg/roomAt</c>; <c>{$@}</c> in the content places the mentions, <c>["0"]</c> mentions everyone.</summary>
public sealed record RoomAtMessage : MessageRequest
{
    [JsonPropertyName("content")]
    public required string Content { get; init; }

    [JsonPropertyName("atList")]
    public required IReadOnlyList<string> AtList { get; init; }
}

/// <summary><c>POST /msg/image|file|gif|video|voice</c>: an http URL or a path returned by <c>/file/upload</c>.</summary>
public sealed record FileMessage : MessageRequest
{
    [JsonPropertyName("fileUrl")]
    public required string FileUrl { get; init; }
}

/// <summary><c>POST /msg/personCard</c>.</summary>
public sealed record PersonCardMessage : MessageRequest
{
    [JsonPropertyName("personCardUserId")]
    public required string PersonCardUserId { get; init; }

    // The seed's parameter table says nickName, its example nickname; the host ignores case, we follow the example.
    [JsonPropertyName("nickname")]
    public string? NickName { get; init; }

    [JsonPropertyName("avatar")]
    public string? Avatar { get; init; }
}

/// <summary><c>POST /msg/link</c>; the title must not be blank.</summary>
public sealed record LinkMessage : MessageRequest
{
    [JsonPropertyName("title")]
    public required string Title { get; init; }

    [JsonPropertyName("desc")]
    public string? Desc { get; init; }

    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("imageUrl")]
    public string? ImageUrl { get; init; }
}

/// <summary><c>POST /msg/miniProgram</c>, fields as received in a mini-program callback.</summary>
public sealed record MiniProgramMessage : MessageRequest
{
    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("appid")] public string? AppId { get; init; }
    [JsonPropertyName("appname")] public string? AppName { get; init; }
    [JsonPropertyName("appicon")] public string? AppIcon { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("page_path")] public string? PagePath { get; init; }
    [JsonPropertyName("cover_path")] public string? CoverPath { get; init; }
}

/// <summary><c>POST /msg/videoNum</c>, fields as received in a video-number callback.</summary>
public sealed record VideoNumMessage : MessageRequest
{
    [JsonPropertyName("cover_url")] public string? CoverUrl { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("feed_type")] public int FeedType { get; init; } = 4;
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("thumb_url")] public string? ThumbUrl { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("extras")] public string? Extras { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
}

/// <summary><c>POST /msg/quote</c>: a reply quoting the message whose callback carried <c>server_id</c>.</summary>
public sealed record QuoteMessage : MessageRequest
{
    [JsonPropertyName("content")]
    public required string Content { get; init; }

    [JsonPropertyName("serverId")]
    public required string ServerId { get; init; }

    /// <summary>Optional; when given the outbound callback carries it, e.g. <c>"name:\n[图片]"</c>.</summary>
    [JsonPropertyName("quote")]
    public string? Quote { get; init; }
}

/// <summary><c>POST /miniProgram/send</c>: a saved mini program by its id in <c>/miniprogram/list</c>.</summary>
public sealed record MiniProgramByIdMessage : MessageRequest
{
    [JsonPropertyName("miniProgramId")]
    public required long MiniProgramId { get; init; }
}

/// <summary><c>POST /videonum/send</c>: a saved video number by its id in <c>/videonum/list</c>.</summary>
public sealed record VideoNumByIdMessage : MessageRequest
{
    [JsonPropertyName("videoNumId")]
    public required long VideoNumId { get; init; }
}

/// <summary>Body of <c>POST /batchmsg/confirm</c>.</summary>
public sealed record BatchMessageConfirmRequest
{
    [JsonPropertyName("wxId")]
    public required string WxId { get; init; }
}

/// <summary>One item of <c>GET /miniprogram/list</c>; <c>type</c> 0 shared by all, 1 personal.</summary>
public sealed record SavedMiniProgram
{
    [JsonPropertyName("id")] public long Id { get; init; }
    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("appid")] public string? AppId { get; init; }
    [JsonPropertyName("appname")] public string? AppName { get; init; }
    [JsonPropertyName("appicon")] public string? AppIcon { get; init; }
    [JsonPropertyName("title")] public string? Title { get; init; }
    [JsonPropertyName("page_path")] public string? PagePath { get; init; }
    [JsonPropertyName("cover_path")] public string? CoverPath { get; init; }
    [JsonPropertyName("type")] public int Type { get; init; }
    [JsonPropertyName("internalPath")] public string? InternalPath { get; init; }
}

/// <summary>One item of <c>GET /videonum/list</c>; <c>type</c> 0 shared by all, 1 personal.</summary>
public sealed record SavedVideoNum
{
    [JsonPropertyName("id")] public long Id { get; init; }
    [JsonPropertyName("cover_url")] public string? CoverUrl { get; init; }
    [JsonPropertyName("desc")] public string? Desc { get; init; }
    [JsonPropertyName("feed_type")] public int FeedType { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("thumb_url")] public string? ThumbUrl { get; init; }
    [JsonPropertyName("url")] public string? Url { get; init; }
    [JsonPropertyName("extras")] public string? Extras { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("type")] public int Type { get; init; }
    [JsonPropertyName("internalPath")] public string? InternalPath { get; init; }
}

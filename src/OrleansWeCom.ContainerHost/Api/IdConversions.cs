using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>Body of <c>POST /contact/contactUserId</c> and <c>/contact/contactUserIdFromDb</c> (wm id to 788 id).</summary>
public sealed record ExternalUserRef
{
    [JsonPropertyName("WxId")] public required string WxId { get; init; }
    [JsonPropertyName("ExternalUserId")] public required string ExternalUserId { get; init; }
}

/// <summary><c>data</c> of the 788-id to wm-id conversions.</summary>
public sealed record ExternalUserIdResult
{
    [JsonPropertyName("ExternalUserId")] public string? ExternalUserId { get; init; }
}

/// <summary><c>data</c> of the wm-id to 788-id conversions.</summary>
public sealed record ContactUserIdResult
{
    [JsonPropertyName("ContactUserId")] public string? ContactUserId { get; init; }
}

/// <summary>Body of <c>POST /group/externalRoomId</c>.</summary>
public sealed record RoomRef
{
    [JsonPropertyName("WxId")] public required string WxId { get; init; }
    [JsonPropertyName("RoomId")] public required string RoomId { get; init; }
}

/// <summary><c>data</c> of <c>POST /group/externalRoomId</c>.</summary>
public sealed record ExternalRoomIdResult
{
    [JsonPropertyName("ExternalRoomId")] public string? ExternalRoomId { get; init; }
}

/// <summary>Body of <c>POST /group/RoomId</c>.</summary>
public sealed record ExternalRoomRef
{
    [JsonPropertyName("WxId")] public required string WxId { get; init; }
    [JsonPropertyName("ExternalRoomId")] public required string ExternalRoomId { get; init; }
}

/// <summary><c>data</c> of <c>POST /group/RoomId</c>.</summary>
public sealed record RoomIdResult
{
    [JsonPropertyName("RoomId")] public string? RoomId { get; init; }
}

/// <summary>Body of <c>POST /contact/relation/sync</c>.</summary>
public sealed record ContactRelationSyncRequest
{
    [JsonPropertyName("wxId")] public required string WxId { get; init; }
    [JsonPropertyName("ContactUserId")] public required string ContactUserId { get; init; }
}

/// <summary><c>data</c> of <c>GET /contact/relation</c> and <c>POST /contact/relation/sync</c>.</summary>
public sealed record ContactRelation
{
    [JsonPropertyName("ContactUserId")] public string? ContactUserId { get; init; }
    [JsonPropertyName("ExternalUserId")] public string? ExternalUserId { get; init; }
    [JsonPropertyName("CorpId")] public string? CorpId { get; init; }
    [JsonPropertyName("CorpIdOrigin")] public string? CorpIdOrigin { get; init; }
    [JsonPropertyName("UnionId")] public string? UnionId { get; init; }
    [JsonPropertyName("AddWay")] public int AddWay { get; init; }
    [JsonPropertyName("State")] public string? State { get; init; }
    [JsonPropertyName("CreateTime")] public string? CreateTime { get; init; }
    [JsonPropertyName("AddWayDesc")] public string? AddWayDesc { get; init; }
    [JsonPropertyName("Name")] public string? Name { get; init; }
    [JsonPropertyName("Avatar")] public string? Avatar { get; init; }
}

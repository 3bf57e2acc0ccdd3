using System.Text.Json.Serialization;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>Body of <c>POST /container/create</c>.</summary>
public sealed record CreateContainerRequest
{
    [JsonPropertyName("userId")]
    public required string UserId { get; init; }
}

/// <summary><c>data</c> of <c>POST /container/create</c>.</summary>
public sealed record CreatedContainer
{
    [JsonPropertyName("qrcode")]
    public string? QrCode { get; init; }

    [JsonPropertyName("hostname")]
    public string? HostName { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("createtime")]
    public string? CreateTime { get; init; }

    [JsonPropertyName("wxPid")]
    public int? WxPid { get; init; }
}

/// <summary>Body of <c>POST /container/verify</c>: the 6-digit code the user reads on the phone.</summary>
public sealed record VerifyContainerRequest
{
    [JsonPropertyName("hostname")]
    public required string HostName { get; init; }

    /// <summary>The <c>qrcode_key</c> of the <c>qrcode_status_msg</c> callback.</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    [JsonPropertyName("code")]
    public required string Code { get; init; }
}

/// <summary><c>data</c> of <c>POST /container/verify</c>; <c>errcode</c> below 0 means a wrong code.</summary>
public sealed record VerifyResult
{
    [JsonPropertyName("errcode")]
    public int ErrCode { get; init; }

    [JsonPropertyName("errmsg")]
    public string? ErrMsg { get; init; }
}

/// <summary>Body of <c>/container/stop|start|remove|restart</c>.</summary>
public sealed record HostNamesRequest
{
    [JsonPropertyName("hostname")]
    public required IReadOnlyList<string> HostName { get; init; }

    public static HostNamesRequest Of(params string[] hostNames) => new() { HostName = hostNames };
}

/// <summary>One item of <c>GET /inner/user/wx/list</c>: a WeCom account and the container it runs in.</summary>
public sealed record WeComAccount
{
    [JsonPropertyName("hostname")] public string? HostName { get; init; }
    [JsonPropertyName("wxId")] public string? WxId { get; init; }
    [JsonPropertyName("userId")] public string? UserId { get; init; }
    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("nickname")] public string? NickName { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("corp_id")] public string? CorpId { get; init; }
    [JsonPropertyName("corp_name")] public string? CorpName { get; init; }
    [JsonPropertyName("mobile")] public string? Mobile { get; init; }
    [JsonPropertyName("position")] public string? Position { get; init; }
    [JsonPropertyName("corp_short_name")] public string? CorpShortName { get; init; }
    [JsonPropertyName("job_name")] public string? JobName { get; init; }
    [JsonPropertyName("account")] public string? Account { get; init; }
    [JsonPropertyName("acctid")] public string? AcctId { get; init; }

    /// <summary>0 online, 1 offline, 2 logged out, 3 logging in, 4 login failed (rescan), 5 login failed (support).</summary>
    [JsonPropertyName("Status")] public int Status { get; init; }

    /// <summary>Only with status 4: a QR code that reuses the client's cache.</summary>
    [JsonPropertyName("QrCode")] public string? QrCode { get; init; }
}

/// <summary>One item of <c>GET /inner/user/list</c>: an account of the host's own users (the seed's <c>userId</c>).</summary>
public sealed record HostUser
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("username")] public string? UserName { get; init; }
    [JsonPropertyName("createdAt")] public string? CreatedAt { get; init; }
    [JsonPropertyName("phone")] public string? Phone { get; init; }
    [JsonPropertyName("avatar")] public string? Avatar { get; init; }
    [JsonPropertyName("Permissions")] public IReadOnlyList<int>? Permissions { get; init; }
    [JsonPropertyName("IsAdmin")] public bool IsAdmin { get; init; }
    [JsonPropertyName("Remark")] public string? Remark { get; init; }
}

/// <summary>One item of <c>GET /container/memory</c>; <see cref="Memory"/> is in KB.</summary>
public sealed record ContainerMemory
{
    [JsonPropertyName("WxId")] public string? WxId { get; init; }
    [JsonPropertyName("UserName")] public string? UserName { get; init; }
    [JsonPropertyName("HostName")] public string? HostName { get; init; }
    [JsonPropertyName("WxPid")] public int WxPid { get; init; }
    [JsonPropertyName("Memory")] public long Memory { get; init; }
}

namespace OrleansWeCom;

[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantInfo")]
public sealed record TenantInfo(
    [property: Id(0)] TenantId Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>What an operator sees of a tenant in the list: its counts, never its keys.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantSummary")]
public sealed record TenantSummary(
    [property: Id(0)] TenantInfo Info,
    [property: Id(1)] int Users,
    [property: Id(2)] int ApiKeys,
    [property: Id(3)] int Containers,
    [property: Id(4)] int Accounts);

/// <summary>A tenant's user, the seed's <c>userId</c> (e.g. <c>apps-1</c>), shaped as <c>inner/user/list</c> returns it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.TenantUser")]
public sealed record TenantUser(
    [property: Id(0)] string UserId,
    [property: Id(1)] string? Username,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] bool IsAdmin,
    [property: Id(4)] string? Phone = null,
    [property: Id(5)] string? Remark = null);

/// <summary>A tenant: its users, hashed API keys and the accounts and containers it owns.</summary>
[Alias("OrleansWeCom.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant; calling it again with the same name is a no-op.</summary>
    [Alias("Create")] Task<TenantInfo> CreateAsync(string name);

    [Alias("Get")] Task<TenantInfo?> GetAsync();

    /// <summary>The tenant's counts for the operator; null when the tenant does not exist.</summary>
    [AlwaysInterleave, Alias("GetSummary")] Task<TenantSummary?> GetSummaryAsync();

    /// <summary>Adds a user; user ids are unique across tenants because hosts' callbacks carry them.</summary>
    [Alias("AddUser")] Task<TenantUser> AddUserAsync(string userId, string? username, bool isAdmin);

    [Alias("GetUsers")] Task<IReadOnlyList<TenantUser>> GetUsersAsync();

    /// <summary>Issues an API key (the given one, or a fresh random one) and returns it; only its hash is kept.</summary>
    [Alias("IssueApiKey")] Task<string> IssueApiKeyAsync(string? presetKey);

    [Alias("RevokeApiKey")] Task<bool> RevokeApiKeyAsync(string apiKey);

    [Alias("AddContainer")] Task AddContainerAsync(HostName hostName);

    [Alias("GetContainers")] Task<IReadOnlyList<HostName>> GetContainersAsync();

    /// <summary>Whether <paramref name="hostName"/> was created for this tenant: the gateway's cheap check before a container grain.</summary>
    [Alias("HasContainer"), Orleans.Concurrency.AlwaysInterleave] Task<bool> HasContainerAsync(HostName hostName);

    [Alias("AddAccount")] Task AddAccountAsync(WxId wxId);

    [Alias("GetAccounts")] Task<IReadOnlyList<WxId>> GetAccountsAsync();

    /// <summary>Whether <paramref name="wxId"/> has logged in for this tenant: the gateway's cheap check before an account's grains.</summary>
    [Alias("HasAccount"), Orleans.Concurrency.AlwaysInterleave] Task<bool> HasAccountAsync(WxId wxId);
}

/// <summary>Keyed by the SHA-256 of an API key (hex): which tenant the key belongs to.</summary>
[Alias("OrleansWeCom.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    [Alias("Bind")] Task BindAsync(TenantId tenant);

    [Alias("Revoke")] Task RevokeAsync();

    [AlwaysInterleave, Alias("Resolve")] Task<TenantId?> ResolveAsync();
}

/// <summary>Keyed by a user id (<c>apps-1</c>): which tenant holds that user.</summary>
[Alias("OrleansWeCom.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>Claims the user id for a tenant; false when another tenant already holds it.</summary>
    [Alias("Claim")] Task<bool> ClaimAsync(TenantId tenant);

    [AlwaysInterleave, Alias("GetTenant")] Task<TenantId?> GetTenantAsync();
}

/// <summary>
/// The one list of every tenant (key 0), for operators: tenants register on creation (and, once, on their first
/// activation after this list existed). Bounded by <see cref="MaxTenants"/>.
/// </summary>
[Alias("OrleansWeCom.ITenantDirectoryGrain")]
public interface ITenantDirectoryGrain : IGrainWithIntegerKey
{
    public const int MaxTenants = 100_000;

    /// <summary>Adds the tenant (idempotent); throws 429 when the list already holds <see cref="MaxTenants"/>.</summary>
    [Alias("Register")] Task RegisterAsync(TenantId tenant);

    /// <summary>Tenant ids in ordinal order after <paramref name="after"/> (null: from the start).</summary>
    [AlwaysInterleave, Alias("List")] Task<IReadOnlyList<TenantId>> ListAsync(string? after, int limit);

    [AlwaysInterleave, Alias("Count")] Task<int> CountAsync();
}

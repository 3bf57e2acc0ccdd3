namespace OrleansWeCom.Grains.Tenancy;

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public List<TenantUser> Users { get; set; } = [];
    [Id(3)] public List<string> ApiKeyHashes { get; set; } = [];
    [Id(4)] public List<string> Containers { get; set; } = [];
    [Id(5)] public List<string> Accounts { get; set; } = [];

    /// <summary>Whether the tenant directory holds this tenant (tenants created before it register on activation).</summary>
    [Id(6)] public bool Listed { get; set; }
}

public sealed class TenantGrain(
    [PersistentState("tenant", StorageNames.Grains)] IPersistentState<TenantState> state,
    TimeProvider time) : Grain, ITenantGrain
{
    private TenantId Id => new(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Name is not null && !state.State.Listed) await ListAsync();
    }

    public async Task<TenantInfo> CreateAsync(string name)
    {
        if (state.State.Name is null)
        {
            // Listed first: a directory that is full refuses the tenant before it exists.
            await GrainFactory.GetGrain<ITenantDirectoryGrain>(0).RegisterAsync(Id);
            state.State.Name = name;
            state.State.CreatedAt = time.GetUtcNow();
            state.State.Listed = true;
            await state.WriteStateAsync();
        }

        return Info();
    }

    public Task<TenantInfo?> GetAsync() => Task.FromResult(state.State.Name is null ? null : Info());

    public Task<TenantSummary?> GetSummaryAsync() => Task.FromResult(state.State.Name is null
        ? null
        : new TenantSummary(Info(), state.State.Users.Count, state.State.ApiKeyHashes.Count, state.State.Containers.Count, state.State.Accounts.Count));

    private async Task ListAsync()
    {
        await GrainFactory.GetGrain<ITenantDirectoryGrain>(0).RegisterAsync(Id);
        state.State.Listed = true;
        await state.WriteStateAsync();
    }

    public async Task<TenantUser> AddUserAsync(string userId, string? username, bool isAdmin)
    {
        EnsureExists();
        if (state.State.Users.FirstOrDefault(u => u.UserId == userId) is { } existing) return existing;
        if (!await GrainFactory.GetGrain<IUserGrain>(userId).ClaimAsync(Id))
            throw new WeComException(ErrorCodes.Conflict, $"user id '{userId}' is already taken");

        var user = new TenantUser(userId, username, time.GetUtcNow(), isAdmin);
        state.State.Users.Add(user);
        await state.WriteStateAsync();
        return user;
    }

    public Task<IReadOnlyList<TenantUser>> GetUsersAsync() => Task.FromResult<IReadOnlyList<TenantUser>>(state.State.Users.ToList());

    public async Task<string> IssueApiKeyAsync(string? presetKey)
    {
        EnsureExists();
        var key = string.IsNullOrEmpty(presetKey) ? ApiKeys.Generate() : presetKey;
        var hash = ApiKeys.Hash(key);
        var owner = await GrainFactory.GetGrain<IApiKeyGrain>(hash).ResolveAsync();
        if (owner is { } other && other != Id)
            throw new WeComException(ErrorCodes.Conflict, "that API key is already in use");

        await GrainFactory.GetGrain<IApiKeyGrain>(hash).BindAsync(Id);
        if (!state.State.ApiKeyHashes.Contains(hash))
        {
            state.State.ApiKeyHashes.Add(hash);
            await state.WriteStateAsync();
        }

        return key;
    }

    public async Task<bool> RevokeApiKeyAsync(string apiKey)
    {
        var hash = ApiKeys.Hash(apiKey);
        if (!state.State.ApiKeyHashes.Remove(hash)) return false;
        await GrainFactory.GetGrain<IApiKeyGrain>(hash).RevokeAsync();
        await state.WriteStateAsync();
        return true;
    }

    public async Task AddContainerAsync(HostName hostName)
    {
        if (state.State.Containers.Contains(hostName.Value)) return;
        state.State.Containers.Add(hostName.Value);
        await state.WriteStateAsync();
    }

    public Task<bool> HasContainerAsync(HostName hostName) => Task.FromResult(state.State.Containers.Contains(hostName.Value));

    public Task<IReadOnlyList<HostName>> GetContainersAsync() =>
        Task.FromResult<IReadOnlyList<HostName>>(state.State.Containers.Select(h => new HostName(h)).ToList());

    public Task<bool> HasAccountAsync(WxId wxId) => Task.FromResult(state.State.Accounts.Contains(wxId.Value));

    public async Task AddAccountAsync(WxId wxId)
    {
        if (state.State.Accounts.Contains(wxId.Value)) return;
        state.State.Accounts.Add(wxId.Value);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<WxId>> GetAccountsAsync() =>
        Task.FromResult<IReadOnlyList<WxId>>(state.State.Accounts.Select(w => new WxId(w)).ToList());

    private TenantInfo Info() => new(Id, state.State.Name!, state.State.CreatedAt);

    private void EnsureExists()
    {
        if (state.State.Name is null) throw WeComException.NotFound($"tenant '{Id}' does not exist");
    }
}

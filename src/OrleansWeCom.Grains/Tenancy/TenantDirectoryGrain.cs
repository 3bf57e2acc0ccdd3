namespace OrleansWeCom.Grains.Tenancy;

[GenerateSerializer]
public sealed class TenantDirectoryState
{
    [Id(0)] public List<string> Tenants { get; set; } = [];
}

/// <summary>Every tenant id, kept sorted (ordinal) so that the operator's list pages by id.</summary>
public sealed class TenantDirectoryGrain(
    [PersistentState("tenant-directory", StorageNames.Grains)] IPersistentState<TenantDirectoryState> state) : Grain, ITenantDirectoryGrain
{
    public async Task RegisterAsync(TenantId tenant)
    {
        var tenants = state.State.Tenants;
        var at = tenants.BinarySearch(tenant.Value, StringComparer.Ordinal);
        if (at >= 0) return;
        if (tenants.Count >= ITenantDirectoryGrain.MaxTenants)
            throw new WeComException(ErrorCodes.QueueFull, $"the cluster already holds {ITenantDirectoryGrain.MaxTenants} tenants");
        tenants.Insert(~at, tenant.Value);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<TenantId>> ListAsync(string? after, int limit)
    {
        var tenants = state.State.Tenants;
        var from = 0;
        if (after is not null)
        {
            var at = tenants.BinarySearch(after, StringComparer.Ordinal);
            from = at >= 0 ? at + 1 : ~at;
        }

        return Task.FromResult<IReadOnlyList<TenantId>>(tenants.Skip(from).Take(Math.Max(0, limit)).Select(t => new TenantId(t)).ToList());
    }

    public Task<int> CountAsync() => Task.FromResult(state.State.Tenants.Count);
}

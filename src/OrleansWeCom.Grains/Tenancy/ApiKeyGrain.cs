namespace OrleansWeCom.Grains.Tenancy;

public sealed class ApiKeyGrain(
    [PersistentState("apikey", StorageNames.Grains)] IPersistentState<OwnerState> state) : Grain, IApiKeyGrain
{
    public async Task BindAsync(TenantId tenant)
    {
        if (state.State.TenantId == tenant.Value) return;
        state.State.TenantId = tenant.Value;
        await state.WriteStateAsync();
    }

    public async Task RevokeAsync()
    {
        state.State.TenantId = null;
        await state.ClearStateAsync();
    }

    public Task<TenantId?> ResolveAsync()
    {
        if (state.State.TenantId is { } t) return Task.FromResult<TenantId?>(new TenantId(t));
        // A key no tenant holds (a guess, a revoked key) keeps no activation in memory.
        DeactivateOnIdle();
        return Task.FromResult<TenantId?>(null);
    }
}

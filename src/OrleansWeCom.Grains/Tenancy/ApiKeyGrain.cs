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

    public Task<TenantId?> ResolveAsync() =>
        Task.FromResult(state.State.TenantId is { } t ? new TenantId(t) : (TenantId?)null);
}

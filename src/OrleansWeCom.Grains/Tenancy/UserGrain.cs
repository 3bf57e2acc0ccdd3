namespace OrleansWeCom.Grains.Tenancy;

public sealed class UserGrain(
    [PersistentState("user", StorageNames.Grains)] IPersistentState<OwnerState> state) : Grain, IUserGrain
{
    public async Task<bool> ClaimAsync(TenantId tenant)
    {
        if (state.State.TenantId is { } owner) return owner == tenant.Value;
        state.State.TenantId = tenant.Value;
        await state.WriteStateAsync();
        return true;
    }

    public Task<TenantId?> GetTenantAsync() =>
        Task.FromResult(state.State.TenantId is { } t ? new TenantId(t) : (TenantId?)null);
}

namespace OrleansWeCom.Grains.Broadcasts;

[GenerateSerializer]
public sealed class BroadcastState
{
    [Id(0)] public string? Tenant { get; set; }
    [Id(1)] public string? WxId { get; set; }
    [Id(2)] public string Tag { get; set; } = "";
    [Id(3)] public List<string> MsgIds { get; set; } = [];
    [Id(4)] public long CreatedAt { get; set; }
}

/// <summary>
/// A fan-out's record: the account and the msgIds its one outbox write produced. Progress is counted from the
/// account's view of each send, so it follows the outbox exactly (queued, sending, sent, failed, unknown).
/// </summary>
public sealed class BroadcastGrain(
    [PersistentState("broadcast", StorageNames.Grains)] IPersistentState<BroadcastState> state,
    TimeProvider time) : Grain, IBroadcastGrain
{
    private string BatchId => this.GetPrimaryKeyString()[(this.GetPrimaryKeyString().IndexOf('/') + 1)..];

    public async Task<BroadcastProgress> StartAsync(TenantId tenant, WxId wxId, string tag, IReadOnlyList<OutboundMessage> messages)
    {
        if (state.State.Tenant is { } owner)
        {
            // The same key again: the batch that started answers, nothing is sent twice.
            if (owner != tenant.Value) throw WeComException.NotFound($"batch {BatchId} not found");
            return await GetProgressAsync(tenant);
        }

        var ledger = GrainFactory.GetGrain<IBroadcastLedgerGrain>(tenant.Value);
        await ledger.AdmitAsync(BatchId);
        IReadOnlyList<string> msgIds;
        try
        {
            msgIds = await GrainFactory.GetGrain<IAccountGrain>(wxId.Value).EnqueueManyAsync(messages);
        }
        catch
        {
            await ledger.WithdrawAsync(BatchId);
            throw;
        }

        state.State = new BroadcastState
        {
            Tenant = tenant.Value, WxId = wxId.Value, Tag = tag, MsgIds = [.. msgIds], CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        await state.WriteStateAsync();
        await ledger.ConfirmAsync(BatchId);
        return await GetProgressAsync(tenant);
    }

    public async Task ForgetAsync()
    {
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    public async Task<BroadcastProgress> GetProgressAsync(TenantId tenant)
    {
        var s = state.State;
        if (s.Tenant != tenant.Value || s.WxId is null) throw WeComException.NotFound($"batch {BatchId} not found");
        var account = GrainFactory.GetGrain<IAccountGrain>(s.WxId);
        var states = new List<SendState?>(s.MsgIds.Count);
        // Asked in slices, so a large batch does not flood the account with calls at once.
        foreach (var slice in s.MsgIds.Chunk(100))
            states.AddRange((await Task.WhenAll(slice.Select(account.GetStatusAsync))).Select(st => st?.State));
        int Count(SendState wanted) => states.Count(st => st == wanted);
        return new BroadcastProgress(BatchId, s.WxId, s.Tag, s.MsgIds.Count, Count(SendState.Queued), Count(SendState.Sending),
            Count(SendState.Sent), Count(SendState.Failed), Count(SendState.Unknown), s.CreatedAt);
    }
}

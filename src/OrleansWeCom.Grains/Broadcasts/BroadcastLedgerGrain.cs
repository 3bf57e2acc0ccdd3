using Microsoft.Extensions.Configuration;

namespace OrleansWeCom.Grains.Broadcasts;

[GenerateSerializer]
public sealed class BroadcastLedgerState
{
    /// <summary>The tenant's batches, oldest first, with when each started (Unix ms).</summary>
    [Id(0)] public List<BroadcastEntry> Batches { get; set; } = [];
}

[GenerateSerializer]
public sealed record BroadcastEntry([property: Id(0)] string BatchId, [property: Id(1)] long At, [property: Id(2)] bool Forgotten = false);

/// <summary>
/// Bounds what fan-outs a tenant can grow: at most <c>WeCom:Broadcast:MaxBatchesPerHour</c> started within an hour, and
/// the records of at most <c>WeCom:Broadcast:MaxKeptBatches</c>, the oldest forgotten first.
/// </summary>
public sealed class BroadcastLedgerGrain(
    [PersistentState("broadcasts", StorageNames.Grains)] IPersistentState<BroadcastLedgerState> state,
    IConfiguration config,
    TimeProvider time) : Grain, IBroadcastLedgerGrain
{
    private readonly int _perHour = config.GetValue("WeCom:Broadcast:MaxBatchesPerHour", 100);
    private readonly int _kept = config.GetValue("WeCom:Broadcast:MaxKeptBatches", 1000);

    public async Task AdmitAsync(string batchId)
    {
        BroadcastLedger.Admit(state.State.Batches, batchId, time.GetUtcNow(), _perHour);
        await state.WriteStateAsync();
    }

    public async Task ConfirmAsync(string batchId)
    {
        var forgotten = BroadcastLedger.Trim(state.State.Batches, _kept, time.GetUtcNow());
        if (forgotten.Count == 0) return;
        await state.WriteStateAsync();
        foreach (var old in forgotten) await GrainFactory.GetGrain<IBroadcastGrain>($"{this.GetPrimaryKeyString()}/{old.BatchId}").ForgetAsync();
    }

    public async Task WithdrawAsync(string batchId)
    {
        if (state.State.Batches.RemoveAll(b => b.BatchId == batchId) > 0) await state.WriteStateAsync();
    }
}

/// <summary>The ledger's rule apart from the grain, so that it is tested on fake time.</summary>
public static class BroadcastLedger
{
    /// <summary>
    /// Adds <paramref name="batchId"/> to <paramref name="batches"/> (oldest first) unless <paramref name="perHour"/> started
    /// within the hour before <paramref name="now"/>: queue full then, with when to retry.
    /// </summary>
    public static void Admit(List<BroadcastEntry> batches, string batchId, DateTimeOffset now, int perHour)
    {
        var hourAgo = now.AddHours(-1).ToUnixTimeMilliseconds();
        var recent = batches.Where(b => b.At > hourAgo).ToList();
        if (recent.Count >= perHour)
        {
            var retry = DateTimeOffset.FromUnixTimeMilliseconds(recent.Min(b => b.At)).AddHours(1) - now;
            throw new WeComException(ErrorCodes.QueueFull,
                $"the tenant started {recent.Count} batches within the hour (limit {perHour}); retry in {Math.Ceiling(retry.TotalSeconds)} s");
        }

        batches.Add(new BroadcastEntry(batchId, now.ToUnixTimeMilliseconds()));
    }

    /// <summary>
    /// Forgets the oldest batches past <paramref name="kept"/> and returns them; a forgotten one still counts toward the
    /// hourly limit until it is an hour old, then its entry goes too.
    /// </summary>
    public static List<BroadcastEntry> Trim(List<BroadcastEntry> batches, int kept, DateTimeOffset now)
    {
        var live = batches.Where(b => !b.Forgotten).ToList();
        var forgotten = live.Take(Math.Max(0, live.Count - kept)).ToList();
        foreach (var entry in forgotten) batches[batches.IndexOf(entry)] = entry with { Forgotten = true };
        var hourAgo = now.AddHours(-1).ToUnixTimeMilliseconds();
        batches.RemoveAll(b => b.Forgotten && b.At <= hourAgo);
        return forgotten;
    }
}

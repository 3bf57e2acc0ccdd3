namespace OrleansWeCom;

/// <summary>How far a fan-out to the contacts of a tag has come, counted over its sends' outbox states.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.BroadcastProgress")]
public sealed record BroadcastProgress(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string WxId,
    [property: Id(2)] string Tag,
    [property: Id(3)] int Total,
    [property: Id(4)] int Queued,
    [property: Id(5)] int Sending,
    [property: Id(6)] int Sent,
    [property: Id(7)] int Failed,
    [property: Id(8)] int Unknown,
    [property: Id(9)] long CreatedAt);

/// <summary>
/// One fan-out of a text to every contact that carries a tag (seed 003's <c>send-message-all</c>), keyed by
/// <c>{tenant}/{batchId}</c>. Its sends go into the account's outbox like any other, so pacing and the corp budget
/// hold; the batch keeps their msgIds to count progress. Starting a batch that already started returns it unchanged.
/// </summary>
[Alias("OrleansWeCom.IBroadcastGrain")]
public interface IBroadcastGrain : IGrainWithStringKey
{
    [Alias("Start")] Task<BroadcastProgress> StartAsync(TenantId tenant, WxId wxId, string tag, IReadOnlyList<OutboundMessage> messages);

    /// <summary>The batch's progress; not found for another tenant or a batch never started.</summary>
    [Alias("Progress")] Task<BroadcastProgress> GetProgressAsync(TenantId tenant);

    /// <summary>Drops the batch's record (its sends stay in the outbox).</summary>
    [Alias("Forget")] Task ForgetAsync();
}

/// <summary>
/// A tenant's fan-out batches (keyed by tenant): how many it may start per hour (429 past it) and how many it keeps
/// readable; the oldest past that number are forgotten.
/// </summary>
[Alias("OrleansWeCom.IBroadcastLedgerGrain")]
public interface IBroadcastLedgerGrain : IGrainWithStringKey
{
    /// <summary>Records a new batch; throws queue-full when the tenant started too many within the hour.</summary>
    [Alias("Admit")] Task AdmitAsync(string batchId);

    /// <summary>The batch's sends were queued: older batches past the kept number are forgotten.</summary>
    [Alias("Confirm")] Task ConfirmAsync(string batchId);

    /// <summary>The batch's sends were refused: it no longer counts.</summary>
    [Alias("Withdraw")] Task WithdrawAsync(string batchId);
}

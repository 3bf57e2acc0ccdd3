using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Broadcasts;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>A tenant's fan-out batches: so many per hour, so many kept, on fake time.</summary>
public sealed class BroadcastLedgerTests
{
    [Fact]
    public void Batches_past_the_hourly_limit_are_refused_until_the_oldest_is_an_hour_old_and_the_oldest_records_are_forgotten()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var batches = new List<BroadcastEntry>();
        BroadcastLedger.Admit(batches, "a", time.GetUtcNow(), perHour: 2);
        time.Advance(TimeSpan.FromMinutes(10));
        BroadcastLedger.Admit(batches, "b", time.GetUtcNow(), 2);

        var refused = Assert.Throws<WeComException>(() => BroadcastLedger.Admit(batches, "c", time.GetUtcNow(), 2));
        Assert.Equal(ErrorCodes.QueueFull, refused.Code);
        Assert.Contains("retry in 3000 s", refused.Message);
        Assert.Equal(["a", "b"], batches.Select(b => b.BatchId));

        time.Advance(TimeSpan.FromMinutes(50) - TimeSpan.FromMilliseconds(1));
        Assert.Throws<WeComException>(() => BroadcastLedger.Admit(batches, "c", time.GetUtcNow(), 2));
        time.Advance(TimeSpan.FromMilliseconds(1));
        BroadcastLedger.Admit(batches, "c", time.GetUtcNow(), 2);

        time.Advance(TimeSpan.FromMinutes(10));
        BroadcastLedger.Admit(batches, "d", time.GetUtcNow(), 2);
        Assert.Empty(BroadcastLedger.Trim(batches, kept: 4, time.GetUtcNow()));
        var forgotten = BroadcastLedger.Trim(batches, kept: 2, time.GetUtcNow());
        Assert.Equal(["a", "b"], forgotten.Select(b => b.BatchId));
        // "a" is over an hour old and goes; "b" (an hour old exactly, so not counted) goes; the kept two remain.
        Assert.Equal(["c", "d"], batches.Select(b => b.BatchId));

        // A batch forgotten within the hour still counts toward the limit.
        BroadcastLedger.Trim(batches, kept: 1, time.GetUtcNow());
        Assert.Equal([true, false], batches.Select(b => b.Forgotten));
        Assert.Throws<WeComException>(() => BroadcastLedger.Admit(batches, "e", time.GetUtcNow(), 2));
    }
}

using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Grains.Webhooks;
using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>The webhook's lanes on fake time: order per conversation, no wait between conversations, bounds, retry state.</summary>
public sealed class DeliveryLanesTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));
    private readonly WebhookOptions _options = new()
    {
        MaxWindow = 10, MaxLanes = 5, MaxPerLane = 4,
        InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromMinutes(10), MaxRetryDuration = TimeSpan.FromHours(24),
    };

    private DateTimeOffset Now => _time.GetUtcNow();

    private StoredEvent Row(long seq, string conversation, int attempts = 0, DateTimeOffset? nextAt = null, DateTimeOffset? storedAt = null) =>
        new(new LoggedEvent(SampleEvents.Text("t", "1688854355260001", conversation, $"m{seq}", msgId: $"m{seq}"), "1688854355260001", seq, seq,
                (storedAt ?? Now).ToUnixTimeMilliseconds()),
            DeliveryState.Pending, null, attempts, nextAt?.ToUnixTimeMilliseconds(), attempts > 0 ? "HTTP 500" : null);

    private static readonly DeliveryOutcome Refused = new(false, 500, null, "HTTP 500");

    private DeliveryLanes Lanes() => new(() => _options);

    [Fact]
    public void A_refused_head_keeps_only_itself_in_memory_while_other_conversations_flow()
    {
        var lanes = Lanes();
        foreach (var (seq, lane) in new[] { (1L, "A"), (2, "A"), (3, "A"), (4, "B"), (5, "B") })
            Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Row(seq, lane), Now));
        Assert.Equal([1L, 4], lanes.Due(Now).Select(d => d.Seq));

        var a1 = lanes.Due(Now).First();
        lanes.Start(a1);
        var retryAt = lanes.Failed(a1, Refused, Now);
        Assert.InRange(retryAt!.Value, Now + TimeSpan.FromSeconds(1), Now + TimeSpan.FromSeconds(2));
        Assert.Equal(3, lanes.HeldCount); // A's followers went back to the log
        Assert.Equal(DeliveryLanes.Offer.Parked, lanes.Add(Row(6, "A"), Now));
        Assert.Equal(0, lanes.Watermark());

        // B is not held back by A's retry.
        var b4 = lanes.Due(Now).Single();
        Assert.Equal(4, b4.Seq);
        lanes.Start(b4);
        Assert.Empty(lanes.Due(Now)); // one in flight per lane
        lanes.Remove(b4);
        Assert.Equal([5L], lanes.Due(Now).Select(d => d.Seq));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains(lanes.Due(Now), d => d.Seq == 1);
        lanes.Remove(a1);
        Assert.Equal(1, lanes.Watermark()); // A's parked events from 2 on are not through

        // Drained, A reads its parked events back from the log, in order.
        var read = Assert.Single(lanes.ReadsNeeded());
        Assert.Equal(new LaneRead("A", 1, 6, 4), read);
        lanes.AddFromLane(read, [Row(2, "A"), Row(3, "A"), Row(6, "A")], more: false, Now);
        Assert.Empty(lanes.ReadsNeeded());
        Assert.Equal([2L, 5], lanes.Due(Now).Select(d => d.Seq).Order());
        Assert.Equal(1, lanes.Watermark());
    }

    [Fact]
    public void Lanes_events_per_lane_and_the_window_are_bounded()
    {
        _options.MaxWindow = 6;
        _options.MaxLanes = 3;
        _options.MaxPerLane = 3;
        var lanes = Lanes();
        foreach (var seq in new long[] { 1, 2, 3 }) Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Row(seq, "A"), Now));
        Assert.Equal(DeliveryLanes.Offer.Parked, lanes.Add(Row(4, "A"), Now)); // past the lane's share: stays in the log
        Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Row(5, "B"), Now));
        Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Row(6, "C"), Now));
        Assert.Equal(DeliveryLanes.Offer.Full, lanes.Add(Row(7, "D"), Now)); // a fourth lane
        Assert.Equal(6, lanes.ReadUpTo); // not taken, so offered again later
        Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Row(7, "B"), Now));
        Assert.Equal(DeliveryLanes.Offer.Full, lanes.Add(Row(8, "C"), Now)); // six held
        Assert.False(lanes.HasRoom);
        Assert.Equal((6, 3, 7L), (lanes.HeldCount, lanes.LaneCount, lanes.ReadUpTo));
        Assert.Equal(0, lanes.Watermark());
    }

    [Fact]
    public void The_window_is_bounded_by_the_memory_its_events_take_and_always_holds_one()
    {
        _options.MaxWindowBytes = 64 * 1024;
        StoredEvent Big(long seq, string lane, int chars = 5_000)
        {
            var row = Row(seq, lane);
            return row with { Entry = row.Entry with { Event = row.Entry.Event with { DataJson = new string('x', chars) } } };
        }

        var lanes = Lanes();
        var size = PendingDelivery.SizeOf(Big(0, "A"));
        foreach (var (seq, lane) in new[] { (1L, "A"), (2, "B"), (3, "C") }) Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Big(seq, lane), Now));
        Assert.Equal(3 * size, lanes.HeldBytes);
        Assert.Equal(DeliveryLanes.Offer.Full, lanes.Add(Big(4, "D"), Now)); // a fourth would pass 64 KiB
        Assert.False(lanes.HasRoom); // not read again until the event turned away fits
        Assert.Equal(3, lanes.ReadUpTo);

        var delivered = lanes.Due(Now).First(d => d.Seq == 1);
        lanes.Start(delivered);
        lanes.Remove(delivered);
        Assert.Equal(DeliveryLanes.Offer.Held, lanes.Add(Big(4, "D"), Now));

        // One event larger than the whole window is still held when nothing else is, so delivery never stalls.
        var alone = Lanes();
        Assert.Equal(DeliveryLanes.Offer.Held, alone.Add(Big(1, "A", chars: 100_000), Now));
        Assert.Equal(DeliveryLanes.Offer.Full, alone.Add(Big(2, "B", chars: 10), Now));

        // A lane read back from the log takes only what fits; the rest stays parked for the next read.
        var parked = Lanes();
        var head = Big(1, "A");
        parked.Add(head, Now);
        var first = parked.Due(Now).Single();
        parked.Start(first);
        parked.Failed(first, Refused, Now);
        Assert.Equal(DeliveryLanes.Offer.Parked, parked.Add(Big(2, "A"), Now));
        Assert.Equal(DeliveryLanes.Offer.Parked, parked.Add(Big(3, "A"), Now));
        Assert.Equal(DeliveryLanes.Offer.Parked, parked.Add(Big(4, "A"), Now));
        _time.Advance(TimeSpan.FromMinutes(1));
        parked.Remove(first);
        var read = Assert.Single(parked.ReadsNeeded());
        parked.AddFromLane(read, [Big(2, "A", chars: 9_000), Big(3, "A", chars: 9_000), Big(4, "A", chars: 9_000)], more: false, Now);
        Assert.Equal(1, parked.HeldCount); // about 36 KiB each: a second would pass 64 KiB
        Assert.Empty(parked.ReadsNeeded()); // the lane still holds an event: it reads on once that one is through
        var second = parked.Due(Now).Single();
        Assert.Equal(2, second.Seq);
        parked.Start(second);
        parked.Remove(second);
        Assert.Equal(new LaneRead("A", 2, 4, 4), Assert.Single(parked.ReadsNeeded()));
        Assert.Equal(2, parked.Watermark()); // 1 and 2 are through, 3 and 4 wait in the log
    }

    [Fact]
    public void A_lane_read_the_log_cut_for_its_bytes_stays_parked_and_reads_on_after_the_last_row()
    {
        var parked = Lanes();
        parked.Add(Row(1, "A"), Now);
        var head = parked.Due(Now).Single();
        parked.Start(head);
        parked.Failed(head, Refused, Now);
        foreach (var seq in new[] { 2L, 3, 4 }) Assert.Equal(DeliveryLanes.Offer.Parked, parked.Add(Row(seq, "A"), Now));
        parked.Remove(head);

        // The log returned one row of the four asked for because of its byte budget: the lane is not yet read through.
        var read = Assert.Single(parked.ReadsNeeded());
        parked.AddFromLane(read, [Row(2, "A")], more: true, Now);
        var next = parked.Due(Now).Single();
        Assert.Equal(2, next.Seq);
        parked.Start(next);
        parked.Remove(next);
        Assert.Equal(new LaneRead("A", 2, 4, 4), Assert.Single(parked.ReadsNeeded()));
    }

    [Fact]
    public void Retry_state_read_back_from_the_log_continues_the_back_off_and_the_retry_window()
    {
        var lanes = Lanes();
        var storedAt = Now - TimeSpan.FromHours(23);
        lanes.Add(Row(1, "A", attempts: 6, nextAt: Now + TimeSpan.FromSeconds(30), storedAt: storedAt), Now);
        Assert.Empty(lanes.Due(Now));
        Assert.Equal(Now + TimeSpan.FromSeconds(30), lanes.EarliestDue());
        Assert.Equal(DeliveryLanes.Offer.Parked, lanes.Add(Row(2, "A"), Now)); // behind a failing head

        _time.Advance(TimeSpan.FromSeconds(30));
        var head = lanes.Due(Now).Single();
        lanes.Start(head);
        var next = lanes.Failed(head, Refused, Now);
        Assert.Equal(7, head.Attempts);
        // The seventh attempt's wait: 2 s × 2⁶ = 128 s, halved at most by the jitter.
        Assert.InRange(next!.Value - Now, TimeSpan.FromSeconds(64), TimeSpan.FromSeconds(128));

        // Past the window that began when the event was stored, the next failure makes it a dead letter.
        _time.Advance(TimeSpan.FromHours(1));
        lanes.Start(head);
        Assert.Null(lanes.Failed(head, Refused, Now));
        Assert.Equal(8, head.Attempts);
    }

    [Fact]
    public void A_retry_after_longer_than_the_back_off_is_honoured_up_to_the_end_of_the_window()
    {
        var lanes = Lanes();
        lanes.Add(Row(1, "A", storedAt: Now - TimeSpan.FromHours(24) + TimeSpan.FromMinutes(5)), Now);
        var head = lanes.Due(Now).Single();
        lanes.Start(head);
        Assert.Equal(Now + TimeSpan.FromMinutes(3), lanes.Failed(head, new DeliveryOutcome(false, 503, TimeSpan.FromMinutes(3), "HTTP 503"), Now));
        _time.Advance(TimeSpan.FromMinutes(3));
        lanes.Start(head);
        // Ten minutes asked, two left: one last try at the end of the window.
        Assert.Equal(Now + TimeSpan.FromMinutes(2), lanes.Failed(head, new DeliveryOutcome(false, 503, TimeSpan.FromMinutes(10), "HTTP 503"), Now));
    }
}

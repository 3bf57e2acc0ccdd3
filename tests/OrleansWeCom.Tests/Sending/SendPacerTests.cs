using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Sending;

/// <summary>The account's pacing arithmetic, on fake time.</summary>
public sealed class SendPacerTests
{
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(500.5);
    private readonly SteppedClock _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    private SendPacer Pacer(TimeSpan? maxLead = null) => new(_time, Gap, maxLead ?? TimeSpan.FromMilliseconds(100));

    [Fact]
    public void The_first_send_may_start_at_once()
    {
        var pacer = Pacer();

        Assert.Equal(_time.GetTimestamp(), pacer.NextMoment());
    }

    [Fact]
    public void The_next_send_waits_the_gap_after_the_previous_answer_not_after_its_start()
    {
        var pacer = Pacer();
        _time.Advance(TimeSpan.FromMilliseconds(180)); // the host took 180 ms to answer
        pacer.Answered(_time.GetTimestamp());

        _time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(TimeSpan.FromMilliseconds(400.5), pacer.Until(pacer.NextMoment()));
    }

    [Theory]
    [InlineData(-3600)]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(3600)]
    public void A_step_of_the_wall_clock_neither_sends_early_nor_stalls_the_queue(int stepSeconds)
    {
        var pacer = Pacer();
        pacer.Answered(_time.GetTimestamp());

        _time.StepWallClock(TimeSpan.FromSeconds(stepSeconds));
        _time.Advance(TimeSpan.FromMilliseconds(200));

        Assert.Equal(TimeSpan.FromMilliseconds(300.5), pacer.Until(pacer.NextMoment()));
    }

    [Fact]
    public void A_gap_carried_over_from_another_activation_counts_on_the_wall_clock()
    {
        var pacer = Pacer();

        pacer.AnsweredAt(_time.GetUtcNow() - TimeSpan.FromMilliseconds(200));

        Assert.Equal(TimeSpan.FromMilliseconds(300.5), pacer.Until(pacer.NextMoment()));
    }

    [Fact]
    public void A_call_a_lost_activation_started_without_an_answer_holds_back_a_gap_after_its_start_plus_the_grace()
    {
        var pacer = Pacer();
        var grace = TimeSpan.FromSeconds(1);
        pacer.AnsweredAt(_time.GetUtcNow() - TimeSpan.FromMilliseconds(300), grace);

        // The host may have read it as late as 700 ms from now: the next send starts a gap after that.
        Assert.Equal(TimeSpan.FromMilliseconds(1200.5), _time.GetElapsedTime(_time.GetTimestamp(), pacer.NextMoment()));

        var stamped = Pacer();
        stamped.AnsweredAt(_time.GetUtcNow() + TimeSpan.FromMinutes(5), grace);
        Assert.Equal(Gap + grace, _time.GetElapsedTime(_time.GetTimestamp(), stamped.NextMoment()));
    }

    [Fact]
    public void An_answer_stamped_in_the_future_by_another_silo_holds_back_no_longer_than_one_gap()
    {
        var pacer = Pacer();

        pacer.AnsweredAt(_time.GetUtcNow() + TimeSpan.FromMinutes(5));

        Assert.Equal(Gap, pacer.Until(pacer.NextMoment()));
    }

    [Fact]
    public void A_back_off_later_than_the_gap_wins()
    {
        var pacer = Pacer();
        pacer.Answered(_time.GetTimestamp());

        Assert.Equal(TimeSpan.FromSeconds(2), pacer.Until(pacer.NextMoment(TimeSpan.FromSeconds(2))));
        Assert.Equal(Gap, pacer.Until(pacer.NextMoment(TimeSpan.FromMilliseconds(100))));
    }

    [Fact]
    public void The_lead_grows_half_way_at_once_when_a_turn_needed_more_and_shrinks_by_an_eighth()
    {
        var pacer = Pacer();
        Assert.Equal(TimeSpan.Zero, pacer.Lead);

        var armed = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(20));
        pacer.Prepared(armed);
        // needed 20 ms: the estimate moves to 10 ms, the deviation to 5 ms; lead = 10 + 3 × 5
        Assert.Equal(TimeSpan.FromMilliseconds(25), pacer.Lead);

        armed = _time.GetTimestamp();
        pacer.Prepared(armed);
        // needed 0 ms: the estimate moves an eighth down to 8.75 ms, the deviation to 0.75 × 5 + 0.25 × 10 = 6.25 ms
        Assert.Equal(TimeSpan.FromMilliseconds(8.75 + 18.75), pacer.Lead);
    }

    [Fact]
    public void The_lead_never_exceeds_its_cap()
    {
        var pacer = Pacer(TimeSpan.FromMilliseconds(30));
        var armed = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(1));

        pacer.Prepared(armed);

        Assert.Equal(TimeSpan.FromMilliseconds(30), pacer.Lead);
        var moment = pacer.NextMoment();
        Assert.Equal(TimeSpan.FromMilliseconds(-30), pacer.Until(pacer.TurnAt(moment)));
    }

    [Theory]
    [InlineData(1, 0.5, 2000)]
    [InlineData(2, 0.5, 4000)]
    [InlineData(3, 0.5, 8000)]
    [InlineData(10, 0.5, 60000)]
    [InlineData(1, 0.0, 1600)]
    [InlineData(1, 0.999999, 2400)]
    public void Back_off_doubles_per_attempt_up_to_its_ceiling_within_a_fifth_of_jitter(int attempts, double jitter, double expectedMs)
    {
        var wait = Backoff.After(attempts, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), jitter);

        Assert.Equal(expectedMs, wait.TotalMilliseconds, 1);
    }
}

/// <summary>Fake time whose wall clock can be stepped (as NTP or an operator does) without moving the monotonic clock.</summary>
public sealed class SteppedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private TimeSpan _step;

    public void StepWallClock(TimeSpan step) => _step += step;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _step;

    // The fake monotonic clock is read off the unstepped time, as a real one ignores steps of the wall clock.
    public override long GetTimestamp() => base.GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Sending;

/// <summary>The clock that starts host calls at their moment and stamps their answers, on fake time.</summary>
public sealed class SendClockTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 8, 0, 0, TimeSpan.Zero));

    private long In(int milliseconds) => _time.GetTimestamp() + (milliseconds * _time.TimestampFrequency / 1000);

    /// <summary>Lets the clock's thread see a fake advance: it wakes on the provider's timer and runs on its own.</summary>
    private static Task Settle() => Task.Delay(30);

    [Fact]
    public async Task Calls_start_no_sooner_than_their_moment_and_in_the_order_of_their_moments()
    {
        using var clock = new SendClock(_time);
        var started = new ConcurrentQueue<int>();
        var calls = new[] { 150, 40, 90, 60 }.Select((ms, id) => clock.StartAt(In(ms), () =>
        {
            started.Enqueue(id);
            return Task.FromResult(id);
        })).ToList();

        foreach (var (step, expected) in new[] { (39, 0), (1, 1), (20, 2), (29, 2), (1, 3), (59, 3), (1, 4) })
        {
            _time.Advance(TimeSpan.FromMilliseconds(step));
            await Settle();
            Assert.Equal(expected, started.Count);
        }

        var answers = await Task.WhenAll(calls).WaitAsync(Timeout);
        Assert.Equal([0, 1, 2, 3], answers.Select(a => a.Value));
        Assert.Equal([1, 3, 2, 0], started);
        Assert.Equal(0, clock.Waiting);
    }

    [Fact]
    public async Task The_answer_is_stamped_when_the_call_completes_not_when_it_started()
    {
        using var clock = new SendClock(_time);
        var host = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = clock.StartAt(In(20), () => host.Task);
        _time.Advance(TimeSpan.FromMilliseconds(20));
        await Settle();
        _time.Advance(TimeSpan.FromMilliseconds(130));

        var completedAt = _time.GetTimestamp();
        host.SetResult("host-msg-1");
        var (value, at) = await answer.WaitAsync(Timeout);

        Assert.Equal("host-msg-1", value);
        Assert.Equal(completedAt, at);
    }

    [Fact]
    public async Task A_call_already_due_starts_on_the_callers_thread()
    {
        using var clock = new SendClock(_time);
        var thread = -1;

        var answer = clock.StartAt(In(-1000), () =>
        {
            thread = Environment.CurrentManagedThreadId;
            return Task.FromResult(1);
        });

        Assert.Equal(Environment.CurrentManagedThreadId, thread);
        Assert.Equal(1, (await answer.WaitAsync(Timeout)).Value);
    }

    [Fact]
    public async Task A_call_that_fails_fails_its_answer()
    {
        using var clock = new SendClock(_time);
        var thrown = clock.StartAt<int>(In(20), () => throw new InvalidOperationException("refused at once"));
        var faulted = clock.StartAt(In(20), async () =>
        {
            await Task.Yield();
            throw new TimeoutException("no answer");
#pragma warning disable CS0162 // the lambda's type needs a result
            return 0;
#pragma warning restore CS0162
        });
        _time.Advance(TimeSpan.FromMilliseconds(20));

        Assert.Equal("refused at once", (await Assert.ThrowsAsync<InvalidOperationException>(() => thrown.WaitAsync(Timeout))).Message);
        Assert.Equal("no answer", (await Assert.ThrowsAsync<TimeoutException>(() => faulted.WaitAsync(Timeout))).Message);
    }

    [Fact]
    public async Task Stopping_the_clock_abandons_the_calls_still_waiting_without_starting_them()
    {
        var clock = new SendClock(_time);
        var started = false;
        var waiting = clock.StartAt(In(60_000), () =>
        {
            started = true;
            return Task.FromResult(1);
        });

        clock.Dispose();

        await Assert.ThrowsAsync<SendNotStartedException>(() => waiting.WaitAsync(Timeout));
        Assert.False(started);
        await Assert.ThrowsAsync<SendNotStartedException>(() => clock.StartAt(In(60_000), () => Task.FromResult(2)));
    }

    [Fact]
    public async Task A_call_cancelled_before_its_moment_is_abandoned_and_one_started_is_not()
    {
        using var clock = new SendClock(_time);
        using var stopping = new CancellationTokenSource();
        var host = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = clock.StartAt(In(10), () => host.Task, stopping.Token);
        var second = clock.StartAt(In(500), () => Task.FromResult(2), stopping.Token);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        await Settle();

        stopping.Cancel();
        host.SetResult(1);

        Assert.Equal(1, (await first.WaitAsync(Timeout)).Value);
        await Assert.ThrowsAsync<SendNotStartedException>(() => second.WaitAsync(Timeout));
    }

    [Fact]
    public async Task An_hour_away_waits_for_the_clocks_time_not_real_time()
    {
        using var clock = new SendClock(_time);
        var answer = clock.StartAt(In(3_600_000), () => Task.FromResult(7));

        _time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromMilliseconds(1));
        await Settle();
        Assert.False(answer.IsCompleted);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var (value, at) = await answer.WaitAsync(Timeout);
        Assert.Equal(7, value);
        Assert.Equal(_time.GetTimestamp(), at);
    }

    [Fact]
    public async Task The_call_runs_in_the_callers_execution_context()
    {
        using var clock = new SendClock(_time);
        var flowed = new AsyncLocal<string> { Value = "trace-42" };

        var seen = clock.StartAt(In(30), () => Task.FromResult(flowed.Value));
        _time.Advance(TimeSpan.FromMilliseconds(30));

        Assert.Equal("trace-42", (await seen.WaitAsync(Timeout)).Value);
    }

    [Fact]
    public async Task On_the_system_clock_a_call_starts_no_sooner_than_its_moment()
    {
        using var clock = new SendClock(TimeProvider.System);
        var due = TimeProvider.System.GetTimestamp() + (TimeProvider.System.TimestampFrequency / 20);
        long startedAt = 0;

        await clock.StartAt(due, () =>
        {
            startedAt = TimeProvider.System.GetTimestamp();
            return Task.FromResult(0);
        }).WaitAsync(Timeout);

        Assert.True(startedAt >= due, $"started {TimeProvider.System.GetElapsedTime(startedAt, due).TotalMilliseconds:F2} ms early");
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Tests.Sending;

/// <summary>The clock that starts host calls at their moment and stamps their answers.</summary>
public sealed class SendClockTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Calls_start_no_sooner_than_their_moment_and_in_the_order_of_their_moments()
    {
        using var clock = new SendClock(TimeProvider.System);
        var started = new ConcurrentQueue<(int Id, DateTimeOffset At, DateTimeOffset Due)>();
        var now = DateTimeOffset.UtcNow;
        var calls = new[] { 150, 40, 90, 60 }.Select((ms, id) =>
        {
            var due = now.AddMilliseconds(ms);
            return clock.StartAt(due, () =>
            {
                started.Enqueue((id, DateTimeOffset.UtcNow, due));
                return Task.FromResult(id);
            });
        }).ToList();

        var answers = await Task.WhenAll(calls).WaitAsync(Timeout);

        Assert.Equal([0, 1, 2, 3], answers.Select(a => a.Value));
        Assert.All(started, s => Assert.True(s.At >= s.Due, $"call {s.Id} started {(s.Due - s.At).TotalMilliseconds:F1} ms early"));
        Assert.Equal([1, 3, 2, 0], started.Select(s => s.Id));
        Assert.Equal(0, clock.Waiting);
    }

    [Fact]
    public async Task The_answer_is_stamped_when_the_call_completes_not_when_it_started()
    {
        using var clock = new SendClock(TimeProvider.System);
        var host = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = clock.StartAt(DateTimeOffset.UtcNow.AddMilliseconds(20), () => host.Task);
        await Task.Delay(150);

        var completedAt = DateTimeOffset.UtcNow;
        host.SetResult("host-msg-1");
        var (value, at) = await answer.WaitAsync(Timeout);

        Assert.Equal("host-msg-1", value);
        Assert.InRange(at, completedAt, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_call_already_due_starts_on_the_callers_thread()
    {
        using var clock = new SendClock(TimeProvider.System);
        var thread = -1;

        var answer = clock.StartAt(DateTimeOffset.UtcNow.AddSeconds(-1), () =>
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
        using var clock = new SendClock(TimeProvider.System);
        var due = DateTimeOffset.UtcNow.AddMilliseconds(20);

        var thrown = clock.StartAt<int>(due, () => throw new InvalidOperationException("refused at once"));
        var faulted = clock.StartAt(due, async () =>
        {
            await Task.Yield();
            throw new TimeoutException("no answer");
#pragma warning disable CS0162 // the lambda's type needs a result
            return 0;
#pragma warning restore CS0162
        });

        Assert.Equal("refused at once", (await Assert.ThrowsAsync<InvalidOperationException>(() => thrown.WaitAsync(Timeout))).Message);
        Assert.Equal("no answer", (await Assert.ThrowsAsync<TimeoutException>(() => faulted.WaitAsync(Timeout))).Message);
    }

    [Fact]
    public async Task Stopping_the_clock_abandons_the_calls_still_waiting_without_starting_them()
    {
        var clock = new SendClock(TimeProvider.System);
        var started = false;
        var waiting = clock.StartAt(DateTimeOffset.UtcNow.AddMinutes(1), () =>
        {
            started = true;
            return Task.FromResult(1);
        });

        clock.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Timeout));
        Assert.False(started);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => clock.StartAt(DateTimeOffset.UtcNow.AddMinutes(1), () => Task.FromResult(2)));
    }

    [Fact]
    public async Task Under_another_clock_a_call_waits_for_that_clocks_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var clock = new SendClock(time);
        // An hour away: a clock that waited on real time instead would not answer within the test's timeout.
        var answer = clock.StartAt(time.GetUtcNow().AddHours(1), () => Task.FromResult(7));

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.False(answer.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        var (value, at) = await answer.WaitAsync(Timeout);
        Assert.Equal(7, value);
        Assert.Equal(time.GetUtcNow(), at);
    }

    [Fact]
    public async Task The_call_runs_in_the_callers_execution_context()
    {
        using var clock = new SendClock(TimeProvider.System);
        var flowed = new AsyncLocal<string> { Value = "trace-42" };

        var seen = await clock.StartAt(DateTimeOffset.UtcNow.AddMilliseconds(30), () => Task.FromResult(flowed.Value)).WaitAsync(Timeout);

        Assert.Equal("trace-42", seen.Value);
    }
}

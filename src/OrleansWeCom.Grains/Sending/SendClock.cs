using OrleansWeCom.Threading;

namespace OrleansWeCom.Grains.Sending;

/// <summary>A host call's result and the moment its answer came back, taken where the answer arrived.</summary>
public readonly record struct Answered<T>(T Value, DateTimeOffset At);

/// <summary>
/// Starts host calls at their moment, from one dedicated thread, and stamps each answer where it arrives.
/// <para>
/// An account's next send is due a gap after the host answered the previous one. A grain timer and a grain's
/// continuation each wait their turn in the thread pool's queue: on a busy silo 8–38 ms apiece, which lengthened every
/// interval by that much. A thread sleeping on its own, woken by the kernel at the moment, starts the call on time; the
/// answer's time is taken by the continuation that completes the call, before the grain's turn is queued.
/// </para>
/// The calls it starts must not block: their synchronous part (building and writing the request) runs on the clock's
/// thread. Calls due already, or under a clock other than the system's, start on the caller's thread.
/// </summary>
public sealed class SendClock : IDisposable
{
    private readonly TimeProvider _time;
    private readonly PriorityQueue<Entry, DateTimeOffset> _due = new();
    private readonly object _lock = new();
    private readonly Thread? _thread;
    private bool _stopped;

    public SendClock(TimeProvider time)
    {
        _time = time;
        if (time != TimeProvider.System) return;
        _thread = new Thread(Run) { IsBackground = true, Name = "wecom-send-clock" };
        // The thread would otherwise keep the context of whoever first resolved the clock (a grain's request context, its
        // trace); each call runs in its own caller's context instead.
        using (ExecutionContext.SuppressFlow()) _thread.Start();
    }

    /// <summary>How many calls wait for their moment.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock) return _due.Count;
        }
    }

    /// <summary>Starts <paramref name="call"/> no sooner than <paramref name="at"/>; the task ends with its answer and when it came.</summary>
    public Task<Answered<T>> StartAt<T>(DateTimeOffset at, Func<Task<T>> call)
    {
        var entry = new Entry<T>(call, _time);
        if (at <= _time.GetUtcNow()) entry.Start();
        else if (_thread is null) _ = DelayThenStart(at, entry);
        else
        {
            lock (_lock)
            {
                if (_stopped) entry.Abandon();
                else
                {
                    _due.Enqueue(entry, at);
                    // Only a new earliest entry changes how long the thread sleeps.
                    if (_due.Peek() == entry) Monitor.Pulse(_lock);
                }
            }
        }

        return entry.Task;
    }

    private async Task DelayThenStart(DateTimeOffset at, Entry entry)
    {
        await Task.Delay(at - _time.GetUtcNow(), _time);
        entry.Start();
    }

    /// <summary>
    /// A wait this short is slept precisely (<see cref="PreciseSleep"/>) outside the lock; a longer one waits on the monitor
    /// until about a millisecond before the moment.
    /// </summary>
    private static readonly TimeSpan FineWait = TimeSpan.FromMilliseconds(2);

    private void Run()
    {
        var ready = new List<Entry>();
        while (true)
        {
            var fine = TimeSpan.Zero;
            lock (_lock)
            {
                while (true)
                {
                    if (_stopped) return;
                    if (_due.TryPeek(out _, out var at))
                    {
                        var wait = at - _time.GetUtcNow();
                        if (wait <= TimeSpan.Zero) break;
                        if (wait <= FineWait)
                        {
                            fine = wait;
                            break;
                        }

                        // Monitor waits in whole milliseconds: the thread wakes a millisecond or so before the moment and
                        // sleeps the rest precisely. It may wake earlier (a pulse, a spurious wake-up): the loop checks the
                        // clock again.
                        Monitor.Wait(_lock, (int)Math.Min(int.MaxValue, (wait - TimeSpan.FromMilliseconds(1)).TotalMilliseconds));
                    }
                    else Monitor.Wait(_lock);
                }

                if (fine == TimeSpan.Zero)
                {
                    var now = _time.GetUtcNow();
                    while (_due.TryPeek(out _, out var at) && at <= now) ready.Add(_due.Dequeue());
                }
            }

            if (fine > TimeSpan.Zero)
            {
                // A call queued meanwhile with an earlier moment waits at most this long.
                PreciseSleep.For(fine);
                continue;
            }

            foreach (var entry in ready) entry.Start();
            ready.Clear();
        }
    }

    public void Dispose()
    {
        List<Entry> abandoned;
        lock (_lock)
        {
            _stopped = true;
            abandoned = [.. _due.UnorderedItems.Select(i => i.Element)];
            _due.Clear();
            Monitor.PulseAll(_lock);
        }

        foreach (var entry in abandoned) entry.Abandon();
    }

    private abstract class Entry
    {
        public abstract void Start();
        public abstract void Abandon();
    }

    private sealed class Entry<T>(Func<Task<T>> call, TimeProvider time) : Entry
    {
        private readonly TaskCompletionSource<Answered<T>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The caller's context (its trace, its request context), in which the call runs on the clock's thread.</summary>
        private readonly ExecutionContext? _context = ExecutionContext.Capture();

        public Task<Answered<T>> Task => _done.Task;

        public override void Start()
        {
            if (_context is null) Call();
            else ExecutionContext.Run(_context, static self => ((Entry<T>)self!).Call(), this);
        }

        private void Call()
        {
            Task<T> task;
            try
            {
                task = call();
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
                return;
            }

            // Stamped by whichever thread completes the call, before the caller's continuation is queued.
            task.ContinueWith(static (t, state) =>
            {
                var self = (Entry<T>)state!;
                if (t.IsCompletedSuccessfully) self._done.TrySetResult(new Answered<T>(t.Result, self.Now));
                else if (t.IsCanceled) self._done.TrySetCanceled();
                else self._done.TrySetException(t.Exception!.InnerExceptions);
            }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private DateTimeOffset Now => time.GetUtcNow();

        public override void Abandon() =>
            _done.TrySetException(new ObjectDisposedException(nameof(SendClock), "the silo stopped before the send's moment"));
    }
}

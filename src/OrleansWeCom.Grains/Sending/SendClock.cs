namespace OrleansWeCom.Grains.Sending;

/// <summary>A host call's result and the monotonic timestamp of its answer, taken where the answer arrived.</summary>
public readonly record struct Answered<T>(T Value, long Timestamp);

/// <summary>
/// Starts host calls at their moment (a monotonic timestamp of the clock's <see cref="TimeProvider"/>) from one dedicated
/// thread, and stamps each answer where it arrives. A grain timer or continuation waits its turn in the thread pool's
/// queue, which on a busy silo would lengthen every interval; a thread of its own, woken by the kernel, starts the call
/// on time. The thread also wakes on the provider's own timer, so that a fake clock drives the same code in tests.
/// The calls must not block: their synchronous part runs on the clock's thread.
/// </summary>
public sealed class SendClock : IDisposable
{
    private readonly TimeProvider _time;
    private readonly PriorityQueue<Entry, long> _due = new();
    private readonly object _lock = new();
    private readonly ITimer _wake;
    private bool _stopped;

    public SendClock(TimeProvider time)
    {
        _time = time;
        _wake = time.CreateTimer(static self => ((SendClock)self!).Pulse(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var thread = new Thread(Run) { IsBackground = true, Name = "wecom-send-clock" };
        // The thread would otherwise keep the context of whoever first resolved the clock; each call runs in its caller's.
        using (ExecutionContext.SuppressFlow()) thread.Start();
    }

    /// <summary>How many calls wait for their moment.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock) return _due.Count;
        }
    }

    /// <summary>
    /// Starts <paramref name="call"/> no sooner than <paramref name="at"/>; the task ends with its answer. A call not yet
    /// started when <paramref name="cancellationToken"/> fires, or when the clock stops, ends with <see cref="SendNotStartedException"/>.
    /// </summary>
    public Task<Answered<T>> StartAt<T>(long at, Func<Task<T>> call, CancellationToken cancellationToken = default)
    {
        var entry = new Entry<T>(call, _time);
        if (cancellationToken.IsCancellationRequested) entry.Abandon("the send was cancelled before its moment");
        else if (_time.GetElapsedTime(_time.GetTimestamp(), at) <= TimeSpan.Zero) entry.Start();
        else
        {
            lock (_lock)
            {
                if (_stopped) entry.Abandon("the silo stopped before the send's moment");
                else
                {
                    _due.Enqueue(entry, at);
                    if (_due.Peek() == entry)
                    {
                        // Only a new earliest entry changes how long the thread sleeps.
                        _wake.Change(Until(at), Timeout.InfiniteTimeSpan);
                        Monitor.Pulse(_lock);
                    }
                }
            }

            if (cancellationToken.CanBeCanceled)
                cancellationToken.UnsafeRegister(static e => ((Entry)e!).Abandon("the send was cancelled before its moment"), entry);
        }

        return entry.Task;
    }

    /// <summary>How long until <paramref name="at"/>, never negative: the moment may pass while it is computed.</summary>
    private TimeSpan Until(long at) => _time.GetElapsedTime(_time.GetTimestamp(), at) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;

    private void Pulse()
    {
        lock (_lock) Monitor.Pulse(_lock);
    }

    private void Run()
    {
        var ready = new List<Entry>();
        while (true)
        {
            lock (_lock)
            {
                while (true)
                {
                    if (_stopped) return;
                    if (_due.TryPeek(out _, out var at))
                    {
                        var wait = _time.GetElapsedTime(_time.GetTimestamp(), at);
                        if (wait <= TimeSpan.Zero) break;
                        // Whole milliseconds, rounded up so that a call never starts early. Under a fake clock the provider's
                        // own timer pulses the monitor when the moment comes.
                        Monitor.Wait(_lock, (int)Math.Min(int.MaxValue, Math.Ceiling(wait.TotalMilliseconds)));
                    }
                    else Monitor.Wait(_lock);
                }

                var now = _time.GetTimestamp();
                while (_due.TryPeek(out _, out var at) && at <= now) ready.Add(_due.Dequeue());
                if (_due.TryPeek(out _, out var next)) _wake.Change(Until(next), Timeout.InfiniteTimeSpan);
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

        _wake.Dispose();
        foreach (var entry in abandoned) entry.Abandon("the silo stopped before the send's moment");
    }

    private abstract class Entry
    {
        /// <summary>0 waiting, 1 started, 2 abandoned: an entry is started or abandoned once.</summary>
        private int _state;

        public void Start()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) == 0) Call();
        }

        public void Abandon(string why)
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0) Fail(new SendNotStartedException(why));
        }

        protected abstract void Call();
        protected abstract void Fail(Exception e);
    }

    private sealed class Entry<T>(Func<Task<T>> call, TimeProvider time) : Entry
    {
        private readonly TaskCompletionSource<Answered<T>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TimeProvider _time = time;

        /// <summary>The caller's context (its trace, its request context), in which the call runs on the clock's thread.</summary>
        private readonly ExecutionContext? _context = ExecutionContext.Capture();

        public Task<Answered<T>> Task => _done.Task;

        protected override void Fail(Exception e) => _done.TrySetException(e);

        protected override void Call()
        {
            if (_context is null) Invoke();
            else ExecutionContext.Run(_context, static self => ((Entry<T>)self!).Invoke(), this);
        }

        private void Invoke()
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
                if (t.IsCompletedSuccessfully) self._done.TrySetResult(new Answered<T>(t.Result, self._time.GetTimestamp()));
                else if (t.IsCanceled) self._done.TrySetCanceled();
                else self._done.TrySetException(t.Exception!.InnerExceptions);
            }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}

/// <summary>A send abandoned before its call started: it certainly did not reach the host, and may be sent again.</summary>
public sealed class SendNotStartedException(string message) : Exception(message);

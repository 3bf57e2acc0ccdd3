using System.Collections.Concurrent;

namespace OrleansWeCom.Storage.Threading;

/// <summary>
/// Runs tasks, and the continuations of the awaits inside them, on one thread of its own, optionally nicer than the silo
/// (<see cref="BackgroundThreads"/>): the thread of a <see cref="GroupCommitWriter{TItem, TResult}"/>. Tasks run one at a
/// time, in the order queued.
/// </summary>
public sealed class BackgroundScheduler : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _tasks = [];
    private readonly Thread _thread;
    private readonly bool _nice;

    public BackgroundScheduler(string threadName, bool nice = true)
    {
        _nice = nice;
        _thread = new Thread(Pump) { IsBackground = true, Name = threadName };
        // The thread would otherwise keep the context of whoever created the scheduler.
        using (ExecutionContext.SuppressFlow()) _thread.Start();
    }

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Starts <paramref name="loop"/> on the scheduler's thread; its awaits come back to that thread.</summary>
    public Task Run(Func<Task> loop) => Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    private void Pump()
    {
        if (_nice) BackgroundThreads.LowerPriorityOfCurrentThread();
        foreach (var task in _tasks.GetConsumingEnumerable()) TryExecuteTask(task);
    }

    protected override void QueueTask(Task task)
    {
        try
        {
            _tasks.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Disposed: what is still queued runs on the thread pool rather than never.
            ThreadPool.UnsafeQueueUserWorkItem(static t => t.Scheduler.TryExecuteTask(t.Task), (Scheduler: this, Task: task), preferLocal: false);
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Thread.CurrentThread == _thread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _tasks.ToArray();

    /// <summary>Lets the thread end once the tasks queued so far have run.</summary>
    public void Dispose() => _tasks.CompleteAdding();
}

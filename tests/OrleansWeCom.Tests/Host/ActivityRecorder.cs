using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansWeCom.Tests.Host;

/// <summary>Records every activity of every source that stops while it lives, for a test to find the spans of one trace.</summary>
internal sealed class ActivityRecorder : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ActivityRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The first stopped activity that matches, waiting up to 15 s for it.</summary>
    public async Task<Activity> WaitForAsync(Func<Activity, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (_stopped.FirstOrDefault(match) is { } found) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("no such activity among: " + string.Join(", ", _stopped.Select(a => $"{a.Source.Name}/{a.DisplayName}/{a.TraceId}")));
            await Task.Delay(50);
        }
    }

    public void Dispose() => _listener.Dispose();
}

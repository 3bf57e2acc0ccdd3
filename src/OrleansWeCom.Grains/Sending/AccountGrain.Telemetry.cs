using System.Diagnostics;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Sending;

/// <summary>The account's meters and the trace that links a tenant's send request to its host call.</summary>
public sealed partial class AccountGrain
{
    /// <summary>The queue length this activation last added to <see cref="WeComTelemetry.OutboxDepth"/>.</summary>
    private long _reportedDepth;

    /// <summary>The trace of the request that queued each send, to parent its host call (kept in memory only).</summary>
    private readonly Dictionary<string, ActivityContext> _traces = [];

    /// <summary>Brings the silo's outbox depth up to date with this account's queue; <paramref name="gone"/> takes it out.</summary>
    private void SyncDepth(bool gone = false)
    {
        var depth = gone ? 0 : _queue.Count;
        if (depth != _reportedDepth) WeComTelemetry.OutboxDepth.Add(depth - _reportedDepth);
        _reportedDepth = depth;
    }

    private static void CountSettled(string outcome, int count = 1) =>
        WeComTelemetry.SendsSettled.Add(count, new KeyValuePair<string, object?>("outcome", outcome));

    private void CountQueued(OutboxRow row)
    {
        WeComTelemetry.SendsQueued.Add(1);
        if (Activity.Current is { } current) _traces[row.MsgId] = current.Context;
        SyncDepth();
    }

    /// <summary>
    /// Runs the host call inside an activity whose parent is the request that queued the send, so one trace spans the
    /// tenant's request and the host's HTTP call; also records how late the call started after its paced moment.
    /// </summary>
    private Func<Task<string>> Traced(OutboxRow row, long moment, Func<Task<string>> call)
    {
        _traces.Remove(row.MsgId, out var parent);
        return () =>
        {
            var late = time.GetElapsedTime(moment);
            WeComTelemetry.PacingLateness.Record(late > TimeSpan.Zero ? late.TotalMilliseconds : 0);
            var previous = Activity.Current;
            var activity = WeComTelemetry.Activities.StartActivity("wecom.send", ActivityKind.Internal, parent);
            activity?.SetTag("wecom.msg_id", row.MsgId);
            activity?.SetTag("wecom.wx_id", row.WxId);
            try
            {
                var task = call();
                if (activity is not null) task.ContinueWith(static (t, a) => ((Activity)a!).Dispose(), activity, TaskScheduler.Default);
                return task;
            }
            catch
            {
                activity?.Dispose();
                throw;
            }
            finally
            {
                Activity.Current = previous;
            }
        };
    }
}

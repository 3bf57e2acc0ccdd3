using System.Diagnostics;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Grains.Callbacks;

/// <summary>The span of applying one stored callback, a child of the span that accepted it at the gateway.</summary>
internal static class CallbackTrace
{
    public static Activity? StartApply(InboxCallback item)
    {
        // Without a stored parent (rows older than the column) the span starts a trace of its own.
        ActivityContext.TryParse(item.TraceParent, null, out var parent);
        var activity = WeComTelemetry.Activities.StartActivity("wecom.callback.apply", ActivityKind.Internal, parent);
        activity?.SetTag("wecom.inbox_id", item.Id);
        return activity;
    }

    /// <summary>The traceparent the tenant's event carries: the applying span when sampled, else the one stored.</summary>
    public static string? Current(InboxCallback item) =>
        Activity.Current is { Source.Name: WeComTelemetry.Name, OperationName: "wecom.callback.apply" } current ? current.Id : item.TraceParent;
}

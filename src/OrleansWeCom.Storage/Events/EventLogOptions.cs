using System.ComponentModel.DataAnnotations;

namespace OrleansWeCom.Storage.Events;

/// <summary>The <c>Events</c> section: how long the event log keeps events and how it is written.</summary>
public sealed class EventLogOptions
{
    public const string SectionName = "Events";

    /// <summary>How long events are kept for reading back by cursor.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At most this many events go into one insert transaction.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 2_000;

    /// <summary>Publishers wait (back-pressure) when this many writes are queued.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// Event data one read returns, in UTF-8 bytes of its JSON, whatever its row limit: an event may carry a megabyte, and
    /// a page of a thousand such must not be read into memory or sent between silos at once. A read stops after the row
    /// that reaches it, so one event always comes. At most 32 Mi, well below Orleans' largest message.
    /// </summary>
    [Range(1024, 32 * 1024 * 1024)]
    public long MaxReadBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>How often expired events are deleted.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);
}

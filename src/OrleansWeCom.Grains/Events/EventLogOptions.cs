using System.ComponentModel.DataAnnotations;

namespace OrleansWeCom.Grains.Events;

public enum EventLogProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>The <c>Events</c> section: where the event log lives and how it is written.</summary>
public sealed class EventLogOptions
{
    public const string SectionName = "Events";

    public const string DefaultSqliteConnectionString = "Data Source=./data/orleanswecom.db";

    public EventLogProvider Provider { get; set; } = EventLogProvider.Sqlite;

    /// <summary>The database of grain state (on SQLite, a file of its own beside it): the host passes it.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>SQLite's <c>synchronous</c> on the log's connections; the host passes <c>Storage:SqliteSynchronous</c>.</summary>
    public string SqliteSynchronous { get; set; } = OrleansWeCom.SqliteSynchronous.Normal;

    /// <summary>How long events are kept for reading back by cursor.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>At most this many events go into one insert transaction.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 2_000;

    /// <summary>Publishers wait (back-pressure) when this many writes are queued.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>How often expired events are deleted.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) && Provider == EventLogProvider.Sqlite
            ? DefaultSqliteConnectionString
            : ConnectionString ?? "";
}

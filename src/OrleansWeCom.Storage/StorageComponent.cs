namespace OrleansWeCom.Storage;

/// <summary>
/// A group of tables with a schema version of its own: Orleans' provider tables, or one of our stores. On SQLite each of
/// ours lives in a file of its own beside the grain-state file (<see cref="StorageConnection.Sibling"/>); on PostgreSQL
/// all share one database.
/// </summary>
public enum StorageComponent
{
    /// <summary>Grain state, reminders and membership behind Orleans' ADO.NET providers, and their OrleansQuery table.</summary>
    Orleans,

    /// <summary>Accepted sends (<c>wecom_outbox</c>).</summary>
    Outbox,

    /// <summary>Received callbacks and their de-duplication (<c>wecom_callback_inbox</c>).</summary>
    Inbox,

    /// <summary>Tenant events and webhook cursors (<c>wecom_event</c>, <c>wecom_event_counter</c>, <c>wecom_webhook</c>).</summary>
    Events,
}

public static class StorageComponents
{
    public static IReadOnlyList<StorageComponent> All { get; } = Enum.GetValues<StorageComponent>();

    /// <summary>The name of the component in script file names and in the version table.</summary>
    public static string Name(this StorageComponent component) => component.ToString().ToLowerInvariant();
}

using Microsoft.Extensions.Options;
using OrleansWeCom.Storage.Sqlite;

namespace OrleansWeCom.Storage.Inbox;

/// <summary>How the callback inbox is written: the storage keys of the <c>Callbacks</c> section.</summary>
public sealed class CallbackInboxOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>Most callbacks written in one inbox transaction.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>How long the writer waits for more callbacks before a transaction that is not full (zero: write what is there).</summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.Zero;

    /// <summary>SQLite <c>synchronous</c> of the inbox's file: FULL survives power loss, NORMAL only process crashes.</summary>
    public string SqliteSynchronous { get; set; } = Sqlite.SqliteSynchronous.Full;

    /// <summary>
    /// Whether this process is the inbox's only writer, so that its stream receivers take the rows it committed from
    /// memory (<see cref="CallbackInbox.HandsOver"/>). Unset: true on SQLite (one process by construction), false on
    /// PostgreSQL (gateways share the table).
    /// </summary>
    public bool? SoleWriter { get; set; }
}

public sealed class CallbackInboxOptionsValidator : IValidateOptions<CallbackInboxOptions>
{
    public ValidateOptionsResult Validate(string? name, CallbackInboxOptions o)
    {
        var errors = new List<string>();
        if (o.BatchSize is < 1 or > 10_000) errors.Add("Callbacks:BatchSize must be within 1..10000");
        if (o.BatchLinger < TimeSpan.Zero || o.BatchLinger > TimeSpan.FromSeconds(1)) errors.Add("Callbacks:BatchLinger must be within 0..1s");
        if (SqliteSynchronous.Problem(o.SqliteSynchronous, "Callbacks:SqliteSynchronous") is { } problem) errors.Add(problem);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

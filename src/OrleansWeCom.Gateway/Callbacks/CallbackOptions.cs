using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Callbacks;

public enum CallbackStoreProvider { Sqlite, PostgreSql }

/// <summary>The <c>Callbacks</c> configuration section: host authentication, the inbox database and its batching.</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";
    public const string DefaultSqliteConnectionString = "Data Source=./data/orleanswecom.db";

    /// <summary>The database of the inbox: the same as grain state (on SQLite, a file of its own beside it).</summary>
    public CallbackStoreProvider Provider { get; set; } = CallbackStoreProvider.Sqlite;

    public string? ConnectionString { get; set; }

    /// <summary>
    /// SQLite only: a database where an earlier version kept the inbox. Its rows, pending ones and the de-duplication
    /// history alike, are moved into <see cref="ConnectionString"/> at start, with their ids.
    /// </summary>
    public string? PreviousConnectionString { get; set; }

    /// <summary>Container host name (as in <c>POST /callbacks/{hostName}</c>) to the token it must present.</summary>
    public Dictionary<string, string> HostTokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a callback's msgId and message server id are remembered to drop repeats.</summary>
    public TimeSpan DedupRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most callbacks written in one inbox transaction.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>How long the writer waits for more callbacks before a transaction that is not full (zero: write what is there).</summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Stored callbacks handed to the routers and not yet marked processed; beyond it the endpoint waits. Conversations
    /// mark theirs after each write-behind (<c>FlushInterval</c>, 5 s), so this must hold several seconds of the peak
    /// rate; an entry is an id and two numbers, not the body.
    /// </summary>
    public int MaxInFlight { get; set; } = 200_000;

    /// <summary>A callback handed over and not applied within this time is handed over again.</summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Hand-overs of one callback before it is marked failed (it stays in the inbox).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>How often processed callbacks older than <see cref="DedupRetention"/> are deleted.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>SQLite <c>synchronous</c> of the inbox connection: FULL survives power loss, NORMAL only process crashes.</summary>
    public string SqliteSynchronous { get; set; } = OrleansWeCom.SqliteSynchronous.Full;

    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) && Provider == CallbackStoreProvider.Sqlite ? DefaultSqliteConnectionString : ConnectionString ?? "";
}

public sealed class CallbackOptionsValidator : IValidateOptions<CallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, CallbackOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.EffectiveConnectionString)) errors.Add("Callbacks:ConnectionString is required for PostgreSql");
        foreach (var (host, token) in o.HostTokens)
            if (string.IsNullOrWhiteSpace(token) || token.Length < 8) errors.Add($"Callbacks:HostTokens:{host} must be a token of at least 8 characters");
        if (o.DedupRetention < TimeSpan.FromMinutes(1)) errors.Add("Callbacks:DedupRetention must be at least a minute");
        if (o.BatchSize is < 1 or > 10_000) errors.Add("Callbacks:BatchSize must be within 1..10000");
        if (o.BatchLinger < TimeSpan.Zero || o.BatchLinger > TimeSpan.FromSeconds(1)) errors.Add("Callbacks:BatchLinger must be within 0..1s");
        if (o.MaxInFlight < 1) errors.Add("Callbacks:MaxInFlight must be positive");
        if (o.RedeliverAfter < TimeSpan.FromSeconds(1)) errors.Add("Callbacks:RedeliverAfter must be at least 1s");
        if (o.MaxAttempts < 1) errors.Add("Callbacks:MaxAttempts must be positive");
        if (OrleansWeCom.SqliteSynchronous.Problem(o.SqliteSynchronous, "Callbacks:SqliteSynchronous") is { } problem) errors.Add(problem);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

namespace OrleansWeCom.Storage.Sqlite;

/// <summary>The SQLite <c>synchronous</c> modes a configuration may choose for our files (OFF is not offered).</summary>
public static class SqliteSynchronous
{
    /// <summary>Keeps every commit through a crash of the process; the default of the grain state, outbox and event log.</summary>
    public const string Normal = "NORMAL";

    /// <summary>Also keeps every commit through a power loss; the default of the callback inbox.</summary>
    public const string Full = "FULL";

    /// <summary>Whether <paramref name="mode"/> is NORMAL, FULL or EXTRA, in any case.</summary>
    public static bool IsMode(string? mode) => mode?.ToUpperInvariant() is Normal or Full or "EXTRA";

    /// <summary>Why <paramref name="mode"/>, the value of <paramref name="setting"/>, cannot be used; null when it can.</summary>
    public static string? Problem(string? mode, string setting) =>
        IsMode(mode) ? null : $"{setting} '{mode}' is not known; use NORMAL, FULL or EXTRA.";

    /// <summary><paramref name="mode"/> as a pragma's value, or an <see cref="ArgumentException"/> naming <paramref name="setting"/>.</summary>
    public static string Pragma(string? mode, string setting) =>
        Problem(mode, setting) is { } problem ? throw new ArgumentException(problem, setting) : mode!.ToUpperInvariant();
}

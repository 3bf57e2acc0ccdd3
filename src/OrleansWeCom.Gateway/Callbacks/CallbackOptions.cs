using Microsoft.Extensions.Options;

namespace OrleansWeCom.Gateway.Callbacks;

/// <summary>
/// The <c>Callbacks</c> configuration section as the gateway reads it: host authentication, hand-over and clean-up. The
/// inbox's own writing keys of the section are <see cref="CallbackInboxOptions"/>.
/// </summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>Container host name (as in <c>POST /callbacks/{hostName}</c>) to the token it must present.</summary>
    public Dictionary<string, string> HostTokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a callback's msgId and message server id are remembered to drop repeats.</summary>
    public TimeSpan DedupRetention { get; set; } = TimeSpan.FromDays(7);

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

    public long MaxBodyBytes { get; set; } = 1024 * 1024;
}

public sealed class CallbackOptionsValidator : IValidateOptions<CallbackOptions>
{
    public ValidateOptionsResult Validate(string? name, CallbackOptions o)
    {
        var errors = new List<string>();
        foreach (var (host, token) in o.HostTokens)
            if (string.IsNullOrWhiteSpace(token) || token.Length < 8) errors.Add($"Callbacks:HostTokens:{host} must be a token of at least 8 characters");
        if (o.DedupRetention < TimeSpan.FromMinutes(1)) errors.Add("Callbacks:DedupRetention must be at least a minute");
        if (o.MaxInFlight < 1) errors.Add("Callbacks:MaxInFlight must be positive");
        if (o.RedeliverAfter < TimeSpan.FromSeconds(1)) errors.Add("Callbacks:RedeliverAfter must be at least 1s");
        if (o.MaxAttempts < 1) errors.Add("Callbacks:MaxAttempts must be positive");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

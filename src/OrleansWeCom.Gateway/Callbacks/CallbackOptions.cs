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
    /// Queues of the callback stream: a container's callbacks are stored under <c>QueueOf(hostname, StreamQueues)</c> and
    /// read from it by whichever silo holds the queue. Every silo must agree; changing it reorders the rows then pending.
    /// </summary>
    public int StreamQueues { get; set; } = 8;

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
        if (o.StreamQueues is < 1 or > 1024) errors.Add("Callbacks:StreamQueues must be between 1 and 1024");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

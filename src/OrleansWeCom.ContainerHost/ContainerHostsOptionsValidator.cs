using Microsoft.Extensions.Options;

namespace OrleansWeCom.ContainerHost;

/// <summary>Rejects configurations that would fail only at the first call, or that Polly would refuse.</summary>
internal sealed class ContainerHostsOptionsValidator : IValidateOptions<ContainerHostsOptions>
{
    public ValidateOptionsResult Validate(string? name, ContainerHostsOptions options)
    {
        var errors = new List<string>();
        if (options.Hosts.Count == 0)
            errors.Add("ContainerHosts: configure at least one host.");
        if (options.ContainerCountTtl < TimeSpan.Zero)
            errors.Add("ContainerHosts:ContainerCountTtl must not be negative.");
        if (options.PendingContainerWindow < TimeSpan.Zero)
            errors.Add("ContainerHosts:PendingContainerWindow must not be negative.");

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Hosts.Count; i++)
        {
            var host = options.Hosts[i];
            var at = $"ContainerHosts:Hosts:{i}";
            if (string.IsNullOrWhiteSpace(host.Name) || !host.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                errors.Add($"{at}:Name '{host.Name}' must be non-empty letters, digits, '-', '_' or '.'.");
            else if (!names.Add(host.Name))
                errors.Add($"{at}:Name '{host.Name}' is configured twice.");
            if (!Uri.TryCreate(host.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add($"{at}:BaseUrl '{host.BaseUrl}' must be an absolute http or https URL.");
            if (string.IsNullOrWhiteSpace(host.ApiKey))
                errors.Add($"{at}:ApiKey is required.");
            if (host.Capacity <= 0)
                errors.Add($"{at}:Capacity must be positive.");
            if (host.Timeout <= TimeSpan.Zero || host.Timeout > TimeSpan.FromDays(1))
                errors.Add($"{at}:Timeout must be positive.");
            if (host.TotalTimeout < host.Timeout)
                errors.Add($"{at}:TotalTimeout must be at least Timeout.");
            if (host.RetryCount is < 0 or > 10)
                errors.Add($"{at}:RetryCount must be between 0 and 10.");
            if (host.RetryBaseDelay <= TimeSpan.Zero || host.RetryMaxDelay < host.RetryBaseDelay)
                errors.Add($"{at}:RetryBaseDelay must be positive and RetryMaxDelay at least RetryBaseDelay.");
            if (host.CircuitFailureRatio is <= 0 or > 1)
                errors.Add($"{at}:CircuitFailureRatio must be in (0, 1].");
            if (host.CircuitMinimumThroughput < 2)
                errors.Add($"{at}:CircuitMinimumThroughput must be at least 2.");
            if (host.CircuitSamplingDuration < TimeSpan.FromMilliseconds(500))
                errors.Add($"{at}:CircuitSamplingDuration must be at least 500 ms.");
            if (host.CircuitBreakDuration < TimeSpan.FromMilliseconds(500))
                errors.Add($"{at}:CircuitBreakDuration must be at least 500 ms.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansWeCom.ContainerHost.Resilience;

/// <summary>
/// Owns one <see cref="HostPipelines"/> per configured host for the life of the process. HttpClientFactory recycles
/// its handlers every few minutes; keeping the pipelines here keeps each host's circuit state across that.
/// </summary>
internal sealed class HostPipelineProvider(IOptions<ContainerHostsOptions> options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
{
    private readonly ConcurrentDictionary<string, HostPipelines> _pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger = loggerFactory.CreateLogger("OrleansWeCom.ContainerHost");

    public HostPipelines Get(string hostName) =>
        _pipelines.GetOrAdd(hostName, name => new HostPipelines(Find(name), timeProvider, _logger));

    public ContainerHostOptions Find(string hostName) =>
        options.Value.Hosts.FirstOrDefault(h => string.Equals(h.Name, hostName, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"No container host named '{hostName}' is configured.", nameof(hostName));
}

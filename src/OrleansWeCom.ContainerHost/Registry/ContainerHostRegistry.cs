using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansWeCom.ContainerHost.Api;
using OrleansWeCom.ContainerHost.Resilience;
using Refit;

namespace OrleansWeCom.ContainerHost.Registry;

/// <summary>
/// Keeps, per host, the number of containers it holds: the distinct hostnames of
/// <c>inner/user/wx/list?IsOnline=false</c> (accounts in every state), listed again when older than
/// <see cref="ContainerHostsOptions.ContainerCountTtl"/>, or the figure a caller reported. A container still waiting
/// for its first scan has no account and is missing from the listing; so every pick also counts as one container for
/// <see cref="ContainerHostsOptions.PendingContainerWindow"/> on top of the listing (an overestimate, never an under-).
/// </summary>
internal sealed partial class ContainerHostRegistry : IContainerHostRegistry
{
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly HostPipelineProvider _pipelines;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ContainerHostRegistry> _logger;
    private readonly ContainerHostsOptions _options;
    private readonly Dictionary<string, HostCount> _counts;
    private readonly Lock _lock = new();

    public ContainerHostRegistry(
        IOptions<ContainerHostsOptions> options,
        IHttpClientFactory httpClientFactory,
        HostPipelineProvider pipelines,
        TimeProvider timeProvider,
        ILogger<ContainerHostRegistry> logger)
    {
        _options = options.Value;
        _httpClientFactory = httpClientFactory;
        _pipelines = pipelines;
        _timeProvider = timeProvider;
        _logger = logger;
        Hosts = _options.Hosts.Select(h => new ContainerHostDescriptor(h.Name, h.OpenApiBase(), h.Capacity)).ToArray();
        _counts = Hosts.ToDictionary(h => h.Name, _ => new HostCount(), StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<ContainerHostDescriptor> Hosts { get; }

    public IContainerHostApi Get(string hostName)
    {
        var host = _pipelines.Find(hostName);
        // A new HttpClient per call is how the factory wants to be used; the handlers behind it are pooled.
        return RestService.For<IContainerHostApi>(_httpClientFactory.CreateClient(ContainerHostServiceCollectionExtensions.HttpClientName(host.Name)), RefitSettingsFactory.Settings);
    }

    public bool IsAvailable(string hostName) => _pipelines.Get(_pipelines.Find(hostName).Name).IsAvailable;

    public void ReportContainerCount(string hostName, int containerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(containerCount);
        var count = _counts.GetValueOrDefault(_pipelines.Find(hostName).Name)!;
        lock (_lock)
        {
            count.Listed = containerCount;
            count.Picks.Clear();
            count.CountedAt = _timeProvider.GetTimestamp();
        }
    }

    public async Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken = default)
    {
        var candidates = Hosts.Where(h => _pipelines.Get(h.Name).IsAvailable).ToArray();
        var counted = await Task.WhenAll(candidates.Select(h => EnsureCountedAsync(h, cancellationToken))).ConfigureAwait(false);

        lock (_lock)
        {
            ContainerHostDescriptor? best = null;
            var bestFree = 0;
            for (var i = 0; i < candidates.Length; i++)
            {
                if (!counted[i])
                    continue;
                var free = candidates[i].Capacity - Containers(_counts[candidates[i].Name]);
                if (free > bestFree)
                {
                    best = candidates[i];
                    bestFree = free;
                }
            }

            if (best is null)
            {
                throw new ContainerHostException(
                    ContainerHostErrorKind.NoHostAvailable,
                    $"No container host has room for a new container ({candidates.Length} of {Hosts.Count} reachable).",
                    isTransient: true, mayHaveReachedHost: false);
            }

            _counts[best.Name].Picks.Enqueue(_timeProvider.GetTimestamp());
            LogPicked(best.Name, bestFree);
            return best.Name;
        }
    }

    /// <summary>Refreshes a stale count; false when the host could not be counted (then it is not a candidate).</summary>
    private async Task<bool> EnsureCountedAsync(ContainerHostDescriptor host, CancellationToken cancellationToken)
    {
        var count = _counts[host.Name];
        lock (_lock)
        {
            if (count.CountedAt is { } at && _timeProvider.GetElapsedTime(at) < _options.ContainerCountTtl)
                return true;
        }

        try
        {
            var accounts = await Get(host.Name).GetWeComAccountsAsync(isOnline: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            var containers = accounts.Data?.Select(a => a.HostName).Where(n => !string.IsNullOrEmpty(n)).Distinct(StringComparer.Ordinal).Count() ?? 0;
            lock (_lock)
            {
                count.Listed = containers;
                count.CountedAt = _timeProvider.GetTimestamp();
            }

            return true;
        }
        catch (ContainerHostException exception)
        {
            LogCountFailed(host.Name, exception.Message);
            return false;
        }
    }

    /// <summary>Listed containers plus recent picks; called under the lock.</summary>
    private int Containers(HostCount count)
    {
        while (count.Picks.TryPeek(out var at) && _timeProvider.GetElapsedTime(at) >= _options.PendingContainerWindow)
            count.Picks.Dequeue();
        return count.Listed + count.Picks.Count;
    }

    private sealed class HostCount
    {
        public int Listed { get; set; }
        public Queue<long> Picks { get; } = new();
        public long? CountedAt { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "New container goes to host {Host} ({Free} free)")]
    private partial void LogPicked(string host, int free);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container host {Host} skipped for new containers: {Reason}")]
    private partial void LogCountFailed(string host, string reason);
}

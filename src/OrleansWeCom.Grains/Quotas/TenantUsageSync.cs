using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Grains.Quotas;

/// <summary>
/// Once per <see cref="TenantUsageOptions.SyncInterval"/>, exchanges this process's figures of every tenant active here
/// with the tenant's <see cref="ITenantUsageGrain"/> and keeps the answers in <see cref="ClusterTenantUsage"/>; a tenant
/// new here is exchanged at once, so this process admits against the others' figures within a grain call, not an
/// interval. The member id is new per process: a restarted silo's old figures expire instead of being taken for its new ones.
/// </summary>
public sealed partial class TenantUsageSync(
    ClusterTenantUsage usage,
    TenantQueuedBytes queuedBytes,
    IGrainFactory grains,
    TimeProvider time,
    ILogger<TenantUsageSync> logger) : BackgroundService
{
    private const int Parallelism = 16;

    public string Member { get; } = Guid.NewGuid().ToString("N");

    private readonly Channel<string> _appeared = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Queued, not run: a tenant appears on a request's path.
        void OnAppeared(string tenant) => _appeared.Writer.TryWrite(tenant);
        usage.TenantAppeared += OnAppeared;
        using var timer = new PeriodicTimer(usage.Options.SyncInterval, time);
        try
        {
            var prompt = Parallel.ForEachAsync(_appeared.Reader.ReadAllAsync(stoppingToken),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
                async (tenant, _) =>
                {
                    try
                    {
                        if (usage.TakeReport(tenant, queuedBytes.Of) is { } report) await ExchangeAsync(tenant, report);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogExchangeFailed(tenant, e.Message);
                    }
                });
            try
            {
                while (await timer.WaitForNextTickAsync(stoppingToken))
                    await SyncOnceAsync(stoppingToken);
            }
            finally
            {
                await prompt.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            usage.TenantAppeared -= OnAppeared;
        }
    }

    /// <summary>One round: every active tenant's report out, the others' figures back; a failed exchange keeps the old ones.</summary>
    public Task SyncOnceAsync(CancellationToken cancellationToken = default) =>
        Parallel.ForEachAsync(usage.TakeReports(queuedBytes.Of), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (item, _) => await ExchangeAsync(item.Tenant, item.Report));

    private async Task ExchangeAsync(string tenant, TenantUsageReport report)
    {
        try
        {
            usage.Apply(tenant, await grains.GetGrain<ITenantUsageGrain>(tenant).ExchangeAsync(Member, report));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogExchangeFailed(tenant, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Usage of tenant {Tenant} not exchanged this round: {Reason}")]
    private partial void LogExchangeFailed(string tenant, string reason);
}

public static class TenantUsageServiceCollectionExtensions
{
    /// <summary>The cluster-wide tenant figures and the loop that exchanges them (section <c>WeCom:Usage</c>).</summary>
    public static IServiceCollection AddWeComTenantUsage(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration config)
    {
        services.AddOptions<TenantUsageOptions>().Bind(config.GetSection(TenantUsageOptions.SectionName))
            .Validate(o => o.SyncInterval > TimeSpan.Zero && o.Expiry > o.SyncInterval && o.MinRateShare is > 0 and <= 1,
                "WeCom:Usage needs SyncInterval > 0, Expiry > SyncInterval and MinRateShare in (0, 1]")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new ClusterTenantUsage(sp.GetRequiredService<IOptions<TenantUsageOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TenantUsageSync>();
        services.AddHostedService(sp => sp.GetRequiredService<TenantUsageSync>());
        return services;
    }
}

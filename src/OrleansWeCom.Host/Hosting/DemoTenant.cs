namespace OrleansWeCom.Host.Hosting;

/// <summary>On the embedded run: a tenant "demo" with user apps-1 and an API key, printed at start.</summary>
public sealed partial class DemoTenant(IGrainFactory grains, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<DemoTenant> logger)
    : IHostedService
{
    public const string TenantId = "demo";
    public const string UserId = "apps-1";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = SeedAsync());
        return Task.CompletedTask;
    }

    private async Task SeedAsync()
    {
        try
        {
            var tenant = grains.GetGrain<ITenantGrain>(TenantId);
            await tenant.CreateAsync("Demo tenant");
            await tenant.AddUserAsync(UserId, "demo user", isAdmin: true);
            var preset = configuration["WECOM_DEMO_APIKEY"];
            var key = await tenant.IssueApiKeyAsync(string.IsNullOrWhiteSpace(preset) ? null : preset);
            LogDemo(logger, TenantId, UserId, key);
        }
        catch (Exception e)
        {
            LogFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo tenant '{Tenant}', user '{UserId}': apikey {ApiKey}")]
    private static partial void LogDemo(ILogger logger, string tenant, string userId, string apiKey);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not prepare the demo tenant")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

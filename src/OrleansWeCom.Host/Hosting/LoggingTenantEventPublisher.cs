using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Host.Hosting;

/// <summary>Stand-in until the event log and webhooks are wired: writes events to the log.</summary>
public sealed partial class LoggingTenantEventPublisher(ILogger<LoggingTenantEventPublisher> logger) : ITenantEventPublisher
{
    public Task PublishAsync(TenantEvent tenantEvent)
    {
        LogEvent(logger, tenantEvent.Tenant.Value, tenantEvent.Type, tenantEvent.Source, tenantEvent.DataJson);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event for {Tenant}: {Type} from {Source}: {Data}")]
    private static partial void LogEvent(ILogger logger, string tenant, string type, string? source, string? data);
}

namespace OrleansWeCom.Grains.Events;

/// <summary>Delivers an event of ours (not a host callback) to a tenant through the callback delivery path.</summary>
public interface ITenantEventPublisher
{
    /// <summary>Stores and dispatches; the event id makes a repeat harmless.</summary>
    Task PublishAsync(TenantEvent tenantEvent);
}

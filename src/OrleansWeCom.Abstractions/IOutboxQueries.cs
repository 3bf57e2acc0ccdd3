namespace OrleansWeCom;

/// <summary>Finds an accepted send by msgId alone (the seed's <c>msg/status</c> names no account).</summary>
public interface IOutboxQueries
{
    Task<(TenantId Tenant, SendStatus Status)?> FindAsync(string msgId, CancellationToken cancellationToken = default);
}

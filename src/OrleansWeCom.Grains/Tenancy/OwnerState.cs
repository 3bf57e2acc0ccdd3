namespace OrleansWeCom.Grains.Tenancy;

/// <summary>The tenant an API key or a user id belongs to.</summary>
[GenerateSerializer]
public sealed class OwnerState
{
    [Id(0)] public string? TenantId { get; set; }
}

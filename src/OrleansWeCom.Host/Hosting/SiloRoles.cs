using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using OrleansWeCom.Grains.Sending;

namespace OrleansWeCom.Host.Hosting;

/// <summary>What a silo of ours does (<c>Orleans:Role</c>); one executable takes every role.</summary>
public enum SiloRole
{
    /// <summary>Both at once: the embedded run, and a cluster that does not split its silos.</summary>
    All,

    /// <summary>Takes tenants' HTTP and MQTT and the hosts' callbacks; hosts none of our grains.</summary>
    Gateway,

    /// <summary>Hosts the account, container, conversation, budget and webhook grains; serves only health checks.</summary>
    Worker,
}

public static class SiloRoles
{
    /// <summary>The silo metadata key naming a silo's role (visible to operators and to placement).</summary>
    public const string MetadataKey = "wecom.role";

    public static SiloRole Of(IConfiguration config) =>
        config["Orleans:Role"] is { Length: > 0 } text
            ? Enum.TryParse<SiloRole>(text, ignoreCase: true, out var role) && Enum.IsDefined(role)
                ? role
                : throw new InvalidOperationException($"Orleans:Role '{text}' is not known; use All, Gateway or Worker.")
            : SiloRole.All;

    public static bool TakesTraffic(this SiloRole role) => role != SiloRole.Worker;

    public static bool HostsGrains(this SiloRole role) => role != SiloRole.Gateway;

    /// <summary>
    /// Tags the silo with its role and, on a gateway, leaves our grain classes out of its manifest: placement then only
    /// chooses silos that host them, so a gateway's calls go to the workers and a lost gateway costs no grain state.
    /// </summary>
    public static ISiloBuilder UseWeComRole(this ISiloBuilder silo, SiloRole role)
    {
        silo.UseSiloMetadata(new Dictionary<string, string> { [MetadataKey] = role.ToString().ToLowerInvariant() });
        if (!role.HostsGrains())
        {
            var ours = typeof(AccountGrain).Assembly;
            silo.Services.Configure<GrainTypeOptions>(o => o.Classes.RemoveWhere(type => type.Assembly == ours));
        }

        return silo;
    }
}

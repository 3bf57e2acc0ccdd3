using System.ComponentModel.DataAnnotations;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>The <c>Webhooks</c> section: delivery, retries and which networks a tenant URL may reach.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>How long an event is retried after it was stored (or replayed) before it becomes a dead letter.</summary>
    public TimeSpan MaxRetryDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The first retry waits about this long; each further one twice as long, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>No retry waits longer than this (a <c>Retry-After</c> may ask for more, up to the retry window).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>One POST may take this long before it counts as failed.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests in flight to one tenant's endpoint at a time.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Undelivered events a tenant's delivery loop holds in memory.</summary>
    [Range(1, 100_000)]
    public int MaxWindow { get; set; } = 2_000;

    /// <summary>
    /// Memory the held events of one tenant may take, estimated from their text and serialized body; past it the rest
    /// wait in the log (one event is always held, however large, so delivery goes on).
    /// </summary>
    public long MaxWindowBytes { get; set; } = 64L << 20;

    /// <summary>Lanes (conversations, or accounts for events outside conversations) a tenant's delivery tracks at once.</summary>
    [Range(1, 100_000)]
    public int MaxLanes { get; set; } = 1_000;

    /// <summary>Events one lane holds in memory (at most <see cref="MaxWindow"/>); the rest wait in the log for their turn.</summary>
    [Range(1, 100_000)]
    public int MaxPerLane { get; set; } = 100;

    /// <summary>A delivery turn stops starting requests after this long, so the grain answers its other calls.</summary>
    public TimeSpan TurnBudget { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each silo looks for tenants with undelivered events (after restarts, lost wake-ups).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The delivery cursor is saved at most this often while events flow (and when the loop goes idle).</summary>
    public TimeSpan CursorSaveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Allow webhook URLs on loopback addresses (the embedded run sets it).</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>Allow private, link-local, carrier-grade NAT and unique-local addresses.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Refuse plain http URLs.</summary>
    public bool RequireHttps { get; set; }
}

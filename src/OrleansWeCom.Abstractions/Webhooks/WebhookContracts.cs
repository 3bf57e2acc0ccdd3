namespace OrleansWeCom.Webhooks;

/// <summary>An event as the event log holds it: the tenant's event plus where it sits in its account's sequence.</summary>
/// <param name="Account">The account the sequence counts for: the wxId, or <c>host:{hostname}</c> before login.</param>
/// <param name="Seq">Per-account, per-tenant, strictly increasing: the cursor a tenant reads with.</param>
/// <param name="TenantSeq">Per-tenant, strictly increasing: the delivery queue's order.</param>
/// <param name="StoredAt">When the log stored it (unix ms).</param>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.Webhooks.LoggedEvent")]
public sealed record LoggedEvent(
    [property: Id(0)] TenantEvent Event,
    [property: Id(1)] string Account,
    [property: Id(2)] long Seq,
    [property: Id(3)] long TenantSeq,
    [property: Id(4)] long StoredAt);

/// <summary>An event whose delivery was given up after the retry window; replay re-sends it with the same id.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.Webhooks.DeadLetter")]
public sealed record DeadLetter(
    [property: Id(0)] LoggedEvent Entry,
    [property: Id(1)] int Attempts,
    [property: Id(2)] string? LastError,
    [property: Id(3)] long DeadAt);

/// <summary>What a tenant sees of its webhook: never the secret.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.Webhooks.WebhookView")]
public sealed record WebhookView(
    [property: Id(0)] string? Url,
    [property: Id(1)] bool HasSecret,
    [property: Id(2)] long? UpdatedAt,
    [property: Id(3)] long Pending,
    [property: Id(4)] long Dead);

/// <summary>The answer to configuring a webhook: the secret is shown here and nowhere else.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.Webhooks.WebhookConfigured")]
public sealed record WebhookConfigured(
    [property: Id(0)] string Url,
    [property: Id(1)] string? Secret,
    [property: Id(2)] bool SecretGenerated);

/// <summary>
/// Signed delivery of a tenant's events to its webhook (Standard Webhooks v1): retries with back-off, order per
/// conversation, dead letters and replay. Keyed by tenant id. The event log is its queue.
/// </summary>
[Alias("OrleansWeCom.Webhooks.IWebhookGrain")]
public interface IWebhookGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sets the URL (refused when it resolves to a forbidden network) and the secret: the given one, else the
    /// existing one, else a fresh one; <paramref name="rotateSecret"/> forces a fresh one.
    /// </summary>
    [Alias("Configure")] Task<WebhookConfigured> ConfigureAsync(string url, string? secret, bool rotateSecret);

    [AlwaysInterleave, Alias("Get")] Task<WebhookView> GetAsync();

    /// <summary>New events are in the log: look.</summary>
    [OneWay, AlwaysInterleave, Alias("Notify")] Task NotifyAsync();

    /// <summary>Re-queues dead letters (all of them when <paramref name="msgIds"/> is null or empty); returns how many.</summary>
    [Alias("Replay")] Task<int> ReplayAsync(IReadOnlyList<string>? msgIds);
}

/// <summary>Reads the event log for the gateway, on whichever silo serves the request.</summary>
[Alias("OrleansWeCom.Webhooks.IEventLogReaderGrain")]
public interface IEventLogReaderGrain : IGrainWithIntegerKey
{
    [Alias("ReadAccount")] Task<IReadOnlyList<LoggedEvent>> ReadAccountAsync(TenantId tenant, string account, long after, int limit);

    /// <summary>Every event of the tenant after <paramref name="afterTenantSeq"/>, in the tenant's order.</summary>
    [Alias("ReadTenant")] Task<IReadOnlyList<LoggedEvent>> ReadTenantAsync(TenantId tenant, long afterTenantSeq, int limit);

    [Alias("ReadDead")] Task<IReadOnlyList<DeadLetter>> ReadDeadAsync(TenantId tenant, long after, int limit);
}

public static class EventAccounts
{
    /// <summary>The account an event counts for: its wxId, or <c>host:{hostname}</c> before login names one.</summary>
    public static string Of(TenantEvent e) =>
        !string.IsNullOrEmpty(e.WxId) ? e.WxId : $"host:{e.Source}";

    public static string OfHost(HostName host) => $"host:{host.Value}";
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansWeCom.Telemetry;

/// <summary>
/// The product's own meters and activity source (name <c>OrleansWeCom</c>). Instruments are process-wide; each silo
/// reports what it did. Exported through OpenTelemetry when the host enables an exporter (section <c>Telemetry</c>).
/// </summary>
public static class WeComTelemetry
{
    public const string Name = "OrleansWeCom";

    public static readonly ActivitySource Activities = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> SendsQueued = Meter.CreateCounter<long>("wecom.sends.queued", "{message}", "Sends accepted into an account's outbox");
    public static readonly Counter<long> SendsSettled = Meter.CreateCounter<long>("wecom.sends.settled", "{message}", "Sends settled, by outcome (sent, failed, unknown)");
    public static readonly Histogram<double> PacingLateness = Meter.CreateHistogram<double>("wecom.sends.pacing_lateness", "ms", "How late a send's host call started after its paced moment");
    public static readonly UpDownCounter<long> OutboxDepth = Meter.CreateUpDownCounter<long>("wecom.outbox.depth", "{message}", "Sends queued and not yet started, in this silo's accounts");
    public static readonly Counter<long> BudgetGranted = Meter.CreateCounter<long>("wecom.budget.granted", "{token}", "Corp budget tokens leased to accounts");
    public static readonly Counter<long> BudgetReturned = Meter.CreateCounter<long>("wecom.budget.returned", "{token}", "Leased corp budget tokens given back unused");
    public static readonly Counter<long> CallbacksIngested = Meter.CreateCounter<long>("wecom.callbacks.ingested", "{callback}", "Callbacks posted by hosts, by outcome (stored, duplicate, refused)");
    public static readonly Counter<long> CallbacksApplied = Meter.CreateCounter<long>("wecom.callbacks.applied", "{callback}", "Callbacks applied by the routers, by outcome");
    public static readonly Counter<long> CallbacksRedelivered = Meter.CreateCounter<long>("wecom.callbacks.redelivered", "{callback}", "Callbacks delivered again because they were not marked processed in time");
    public static readonly Counter<long> WebhookDeliveries = Meter.CreateCounter<long>("wecom.webhooks.deliveries", "{event}", "Webhook delivery attempts, by result (delivered, retry, dead_letter)");
    public static readonly Histogram<double> WebhookLatency = Meter.CreateHistogram<double>("wecom.webhooks.latency", "ms", "Time a tenant's webhook took to answer");
    public static readonly Counter<long> LifecycleTransitions = Meter.CreateCounter<long>("wecom.accounts.transitions", "{transition}", "Container life-cycle transitions, by new status");
    public static readonly Histogram<double> LoginDuration = Meter.CreateHistogram<double>("wecom.accounts.login_duration", "s", "From container creation to the account online");
    public static readonly UpDownCounter<long> Accounts = Meter.CreateUpDownCounter<long>("wecom.accounts", "{account}", "Containers active in this silo, by status");
    public static readonly Counter<long> WebhookDeadLetters = Meter.CreateCounter<long>("wecom.webhooks.dead_letters", "{event}", "Events given up on after their retries and kept as dead letters");
    public static readonly Counter<long> HostCircuitChanges = Meter.CreateCounter<long>("wecom.hosts.circuit_changes", "{change}", "Container host circuit breaker changes, by host and state");

    // Observable gauges read the live values of the components that hold them; each registers a reader under a key.
    private static readonly ConcurrentDictionary<object, Func<(long Backlog, TimeSpan OldestAge)>> InboxQueues = new();
    private static readonly ConcurrentDictionary<string, Func<string>> Circuits = new();

    public static readonly ObservableGauge<long> InboxBacklog = Meter.CreateObservableGauge("wecom.inbox.backlog",
        () => InboxQueues.Values.Sum(read => read().Backlog), "{callback}", "Callbacks delivered from this silo's inbox queues and not yet marked processed");

    public static readonly ObservableGauge<double> InboxOldestAge = Meter.CreateObservableGauge("wecom.inbox.oldest_age",
        () => InboxQueues.Values.Select(read => read().OldestAge.TotalSeconds).DefaultIfEmpty(0).Max(), "s",
        "Age of the oldest callback delivered from this silo's inbox queues and not yet marked processed");

    public static readonly ObservableGauge<int> HostCircuits = Meter.CreateObservableGauge("wecom.hosts.circuit",
        () => Circuits.Select(c => new Measurement<int>(1, new KeyValuePair<string, object?>("host", c.Key), new KeyValuePair<string, object?>("state", c.Value()))),
        "{circuit}", "Each container host's circuit breaker: 1 on the sample labelled with its current state");

    /// <summary>Registers an inbox queue's reader for the inbox gauges; dispose to remove it.</summary>
    public static IDisposable ObserveInboxQueue(Func<(long Backlog, TimeSpan OldestAge)> read)
    {
        var key = new object();
        InboxQueues[key] = read;
        return new Unregister(() => InboxQueues.TryRemove(key, out _));
    }

    /// <summary>Registers the circuit state of a host (the last registration of a name wins).</summary>
    public static void ObserveCircuit(string host, Func<string> state) => Circuits[host] = state;

    private sealed class Unregister(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

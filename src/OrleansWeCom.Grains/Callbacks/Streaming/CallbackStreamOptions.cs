using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Callbacks.Streaming;

/// <summary>The callback stream's queues over the inbox (section <c>Callbacks</c>).</summary>
public sealed class CallbackStreamOptions
{
    /// <summary>Queues the inbox is split into; each is read by one silo at a time. Every silo must agree.</summary>
    public int StreamQueues { get; set; } = 8;

    /// <summary>A callback delivered and not marked processed within this time is delivered again.</summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest wait between deliveries of a callback that is still not processed (each wait doubles up to it): after
    /// an outage the stream resumes within about this time of the grains coming back. Not below the pulling agent's
    /// retry time of a batch (<see cref="CallbackStreams.AgentDeliveryTime"/>): deliveries again faster than the agent
    /// gives up would queue behind each other in its cache.
    /// </summary>
    public TimeSpan RedeliverMaxWait { get; set; } = CallbackStreams.AgentDeliveryTime;

    /// <summary>Callbacks delivered and not yet marked processed, over all of a silo's queues; beyond it reading pauses.</summary>
    public int MaxInFlight { get; set; } = 200_000;

    /// <summary>How often a queue is read for rows other silos stored (rows stored here are read at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most rows read from a queue at once.</summary>
    public int ReadBatch { get; set; } = 1024;
}

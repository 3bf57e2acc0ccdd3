using System.Threading.Channels;
using MQTTnet.Protocol;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>One SendMessage publish waiting for its turn; <see cref="Acknowledge"/> is set for QoS 1 and 2.</summary>
internal sealed record MqttWork(byte[] Payload, TaskCompletionSource<MqttPubAckReasonCode>? Acknowledge, MqttReplyRoute Route);

/// <summary>
/// The sends of one connected client, one at a time in the order published, off the broker's threads. Bounded:
/// a client that publishes faster than its sends are persisted is told so instead of growing memory.
/// </summary>
internal sealed class MqttClientWorker
{
    private readonly Channel<MqttWork> _queue;

    public MqttClientWorker(string clientId, TenantId tenant, int capacity, Func<MqttClientWorker, MqttWork, Task> process)
    {
        ClientId = clientId;
        Tenant = tenant;
        _queue = Channel.CreateBounded<MqttWork>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Completion = Task.Run(async () =>
        {
            // process never throws: every message ends in a reply.
            await foreach (var work in _queue.Reader.ReadAllAsync()) await process(this, work);
        });
    }

    public string ClientId { get; }
    public TenantId Tenant { get; }

    /// <summary>Ends when every message accepted before <see cref="Complete"/> has been processed.</summary>
    public Task Completion { get; }

    public bool TryEnqueue(MqttWork work) => _queue.Writer.TryWrite(work);

    /// <summary>Accepts nothing more; what is queued is still sent (it was accepted), its replies may find no one.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Storage.Inbox;

namespace OrleansWeCom.Grains.Callbacks.Streaming;

/// <summary>
/// The callback stream provider's factory: queues are partitions of the inbox table, read-only (the callback endpoint
/// writes the rows; nothing publishes through the provider), not rewindable, delivered at least once and marked
/// processed by the grains that apply them.
/// </summary>
public sealed class InboxQueueAdapterFactory(string name, IServiceProvider services, CallbackStreamOptions options, SimpleQueueCacheOptions cacheOptions) : IQueueAdapterFactory
{
    private readonly InboxQueueMapper _mapper = new(name, options.StreamQueues);
    private readonly SimpleQueueAdapterCache _cache = new(cacheOptions, name, services.GetRequiredService<ILoggerFactory>());

    public static InboxQueueAdapterFactory Create(IServiceProvider services, string name) => new(name, services,
        services.GetRequiredService<IOptions<CallbackStreamOptions>>().Value,
        services.GetRequiredService<IOptionsMonitor<SimpleQueueCacheOptions>>().Get(name));

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) => Task.FromResult<IQueueAdapter>(new InboxQueueAdapter(name, _mapper, services, options));

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    // A delivery the pulling agent gives up on stays unprocessed in the inbox; the receiver delivers it again.
    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());
}

public sealed class InboxQueueAdapter(string name, InboxQueueMapper mapper, IServiceProvider services, CallbackStreamOptions options) : IQueueAdapter
{
    public string Name => name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadOnly;

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new InboxQueueReceiver(
        mapper.IndexOf(queueId), options, services.GetRequiredService<CallbackInboxStore>(), services.GetRequiredService<CallbackInbox>(),
        services.GetRequiredKeyedService<TimeProvider>(CallbackStreams.Clock), services.GetRequiredService<ILogger<InboxQueueReceiver>>());

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException("Callbacks enter the stream through the inbox (POST /callbacks/{host}), not through the provider.");
}

/// <summary>
/// The queues of the inbox and which holds a stream: <see cref="CallbackStreams.QueueOf"/> of the container, the same
/// function the callback endpoint stores the row under. Queue ids are spread evenly over the ring, so that silos
/// share them evenly.
/// </summary>
public sealed class InboxQueueMapper : IConsistentRingStreamQueueMapper
{
    private readonly QueueId[] _queues;
    private readonly Dictionary<QueueId, int> _index = [];

    public InboxQueueMapper(string name, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var step = uint.MaxValue / (uint)count;
        _queues = [.. Enumerable.Range(0, count).Select(i => QueueId.GetQueueId(name, (uint)i, (uint)i * step))];
        for (var i = 0; i < count; i++) _index[_queues[i]] = i;
    }

    public int IndexOf(QueueId queue) => _index[queue];

    public IEnumerable<QueueId> GetAllQueues() => _queues;

    public QueueId GetQueueForStream(StreamId streamId) => _queues[CallbackStreams.QueueOf(streamId.GetKeyAsString(), _queues.Length)];

    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range) => _queues.Where(q => range.InRange(q.GetUniformHashCode()));
}

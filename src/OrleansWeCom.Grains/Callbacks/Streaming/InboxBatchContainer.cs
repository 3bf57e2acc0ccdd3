using Orleans.Providers.Streams.Common;
using Orleans.Streams;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Callbacks.Streaming;

/// <summary>One container's consecutive callbacks as one stream event, so that a batch costs one delivery.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.InboxBatchContainer")]
public sealed class InboxBatchContainer(StreamId streamId, CallbackBatch batch, EventSequenceTokenV2 token) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;
    [Id(1)] public CallbackBatch Batch { get; } = batch;
    [Id(2)] private readonly EventSequenceTokenV2 _token = token;

    public StreamSequenceToken SequenceToken => _token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Batch is T item ? [Tuple.Create(item, (StreamSequenceToken)_token)] : [];

    public bool ImportRequestContext() => false;
}

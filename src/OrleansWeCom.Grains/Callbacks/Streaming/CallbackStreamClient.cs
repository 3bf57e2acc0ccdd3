using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Streams;
using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Grains.Callbacks.Streaming;

public static class CallbackStreamClient
{
    /// <summary>
    /// Lets a cluster client (an internal service) subscribe to callback streams: an account's by its wxid, a container's
    /// by its hostname. Items are <see cref="CallbackBatch"/>es of raw callbacks in inbox order, delivered at least once.
    /// </summary>
    public static IClientBuilder AddWeComCallbackStream(this IClientBuilder client)
    {
        client.Services.AddOptions<CallbackStreamOptions>();
        client.AddPersistentStreams(CallbackStreams.Provider, InboxQueueAdapterFactory.Create,
            stream => stream.ConfigureStreamPubSub(StreamPubSubType.ExplicitGrainBasedAndImplicit));
        return client;
    }
}

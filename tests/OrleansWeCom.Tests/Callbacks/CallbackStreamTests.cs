using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Callbacks.Streaming;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>The callbacks' Orleans stream as an internal service sees it: an account's stream from a cluster client.</summary>
public class CallbackStreamTests
{
    private const string Container = "c0b7649461aa";

    [Fact]
    public async Task A_cluster_client_subscribed_to_an_accounts_stream_sees_every_callback_of_that_account_in_order()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var gatewayPort = host.Services.GetRequiredService<IConfiguration>().GetValue<int>("Orleans:GatewayPort");

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client
            .UseLocalhostClustering(gatewayPort, "callbacks", "callbacks")
            .AddWeComCallbackStream());
        using var service = builder.Build();
        await service.StartAsync();
        try
        {
            var seen = new ConcurrentQueue<string>();
            var stream = service.Services.GetRequiredService<IClusterClient>().GetStreamProvider(CallbackStreams.Provider)
                .GetStream<CallbackBatch>(StreamId.Create(CallbackStreams.Namespace, Account));
            var subscription = await stream.SubscribeAsync((batch, token) =>
            {
                foreach (var item in batch.Items) seen.Enqueue(CallbackParser.TryParse(System.Text.Encoding.UTF8.GetBytes(item.Body), out var e, out _) ? e.MsgId : "?");
                return Task.CompletedTask;
            });

            var sent = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var msgId = $"stream-{i:D2}";
                sent.Add(msgId);
                using var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message((7_000_000 + i).ToString(), null, ("content", $"m{i}")), Container, msgId: msgId));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }

            // Another account's callback is not on this stream.
            using (var other = await host.PostAsync(Envelope(CallbackTypes.Text, Message("7100000", null, ("content", "x")), Container, wxid: "1688850000000009", msgId: "other-account")))
                Assert.Equal(HttpStatusCode.OK, other.StatusCode);

            await CallbackTestHost.EventuallyAsync(() => Task.FromResult(seen.Distinct().Count()), n => n >= sent.Count);
            Assert.Equal(sent, seen.Distinct());
            Assert.DoesNotContain("other-account", seen);
            // The router applied them too: the tenant got every one.
            await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.Count), n => n >= sent.Count + 1);
            await subscription.UnsubscribeAsync();
        }
        finally
        {
            await service.StopAsync();
        }
    }
}

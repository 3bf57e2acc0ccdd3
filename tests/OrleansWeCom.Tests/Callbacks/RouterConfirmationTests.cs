using OrleansWeCom.Callbacks;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// A stream's batch counts as applied only once its messages are stored for the tenant: a hand-over lost after the
/// conversation took the message (a crash before the event log's commit) fails the batch, so the stream delivers it
/// again before anything newer and the tenant's order stays the host's.
/// </summary>
public sealed class RouterConfirmationTests
{
    private const string Container = "router-confirm-1";

    private static InboxCallback Item(long id, string serverId) =>
        new(id, CallbackTestHost.HostKey, Envelope(CallbackTypes.Text, Message(serverId, null, ("content", $"n{id}")), Container, msgId: $"m-{id}"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    [Fact]
    public async Task A_lost_hand_over_fails_the_batch_and_its_delivery_again_comes_before_newer_callbacks()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t-confirm", Container);
        var router = host.Grains.GetGrain<ICallbackRouterGrain>(Account);

        host.Publisher.FailingLater = true;
        await Assert.ThrowsAnyAsync<Exception>(() => router.ApplyAsync(new CallbackBatch([Item(1, "910001")])));

        host.Publisher.FailingLater = false;
        await router.ApplyAsync(new CallbackBatch([Item(1, "910001")]));
        await router.ApplyAsync(new CallbackBatch([Item(2, "910002")]));

        Assert.Equal(["m-1", "m-2"], host.Publisher.Events.Where(e => e.Type == CallbackTypes.Text).Select(e => e.MsgId));
    }

    [Fact]
    public async Task A_conversation_confirms_only_what_its_own_activation_took()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var conversation = host.Grains.GetGrain<IConversationGrain>(IConversationGrain.Key(new WxId(Account), new ConversationId(SingleChat)));

        // Nothing was appended here: rows a lost activation took cannot be confirmed, so the router applies them again.
        Assert.False(await conversation.ConfirmAsync([41]));
    }
}

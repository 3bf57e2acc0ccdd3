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
    public async Task After_a_batch_stopped_a_newer_one_waits_until_the_stopped_callback_comes_again()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t-confirm", Container);
        var router = host.Grains.GetGrain<ICallbackRouterGrain>(Account);
        List<string> Texts() => [.. host.Publisher.Events.Where(e => e.Type == CallbackTypes.Text).Select(e => e.MsgId)];

        host.Publisher.Failing = true;
        await Assert.ThrowsAnyAsync<Exception>(() => router.ApplyAsync(new CallbackBatch([Item(1, "930001")])));

        // The grains answer again, but the pulling agent offers a batch it read before row 1 came again: it is left
        // unapplied and unmarked (not refused, which the agent would retry for minutes), to come back with row 1.
        host.Publisher.Failing = false;
        await router.ApplyAsync(new CallbackBatch([Item(2, "930002")]));
        Assert.Empty(Texts());

        // The stream's delivery again (every row in flight, from the oldest) applies both in order; then newer ones flow.
        await router.ApplyAsync(new CallbackBatch([Item(1, "930001"), Item(2, "930002")], Again: true));
        await router.ApplyAsync(new CallbackBatch([Item(3, "930003")]));
        Assert.Equal(["m-1", "m-2", "m-3"], Texts());
    }

    [Fact]
    public async Task A_batch_reaches_the_tenant_in_inbox_order_around_callbacks_that_are_not_messages()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t-confirm", Container);
        var router = host.Grains.GetGrain<ICallbackRouterGrain>(Account);
        var other = $"S:{Account}_7881300839070002";
        var contact = new { acctid = "", avatar = "", conversation_id = SingleChat, corp_id = "1970325134026788", sex = 1, unionid = "u1", user_id = Customer, username = "左脚" };

        // Messages of two conversations, a contact change, then messages again: the change is a barrier, and each
        // conversation keeps its own order across it.
        await router.ApplyAsync(new CallbackBatch(
        [
            Item(1, "920001"),
            new(2, CallbackTestHost.HostKey, Envelope(CallbackTypes.Text, Message("920002", other, ("content", "n2")), Container, msgId: "m-2"), 0),
            Item(3, "920003"),
            new(4, CallbackTestHost.HostKey, Envelope(CallbackTypes.ContactAdd, contact, Container, msgId: "m-4"), 0),
            Item(5, "920005"),
            new(6, CallbackTestHost.HostKey, Envelope(CallbackTypes.Text, Message("920006", other, ("content", "n6")), Container, msgId: "m-6"), 0),
        ]));

        var order = host.Publisher.Events.Select(e => e.MsgId).ToList();
        Assert.Equal(["m-1", "m-2", "m-3", "m-4", "m-5", "m-6"], order.Order());
        Assert.True(order.IndexOf("m-1") < order.IndexOf("m-3") && order.IndexOf("m-3") < order.IndexOf("m-5"));
        Assert.True(order.IndexOf("m-2") < order.IndexOf("m-6"));
        Assert.All(new[] { "m-1", "m-2", "m-3" }, id => Assert.True(order.IndexOf(id) < order.IndexOf("m-4")));
        Assert.All(new[] { "m-5", "m-6" }, id => Assert.True(order.IndexOf(id) > order.IndexOf("m-4")));
    }
}

using OrleansWeCom.Callbacks;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// The inbox delivers again what it holds unmarked (after a crash, or when a write failed): a conversation recognises such
/// a message by its callback msgId or its server id among the messages it keeps, in the same activation and after a restart.
/// </summary>
public sealed class ConversationRedeliveryTests
{
    private static readonly TenantId Tenant = new("t-redeliver");
    private static readonly string Key = IConversationGrain.Key(new WxId("wx-a"), new ConversationId("S:wx-a_wx-b"));

    private static ConversationMessage Message(string msgId, string serverId, string text) =>
        new(msgId, CallbackTypes.Text, serverId, "wx-b", "B", "wx-a", false, null, 1_700_000_000_000, 0, text, null, false, null, null, null);

    private static TenantEvent Event(ConversationMessage m) =>
        new(m.MsgId, Tenant, m.Type, "host-a", "user", "wx-a", m.Timestamp, "{}", null, "S:wx-a_wx-b");

    private static async Task AppendAsync(IConversationGrain grain, ConversationMessage m, long inboxId) => await grain.AppendAsync(Tenant, m, Event(m), inboxId);

    [Fact]
    public async Task A_message_delivered_again_is_applied_once_by_its_msgId_or_its_server_id_also_after_a_restart()
    {
        var file = CallbackTestHost.NewDatabaseFile();
        var first = Message("m-1", "900001", "hello");
        var second = Message("m-2", "900002", "again");
        await using (var host = await CallbackTestHost.StartAsync(file))
        {
            var grain = host.Grains.GetGrain<IConversationGrain>(Key);
            await AppendAsync(grain, first, 1);
            await AppendAsync(grain, second, 2);
            await AppendAsync(grain, first, 1);
            await grain.FlushAsync();
            Assert.Equal(2, (await grain.GetSummaryAsync())!.MessageCount);
        }

        await using (var host = await CallbackTestHost.StartAsync(file))
        {
            var grain = host.Grains.GetGrain<IConversationGrain>(Key);
            // The same callback, and a host's re-push of the second under a new msgId: both known from the stored messages.
            await AppendAsync(grain, first, 1);
            var repushed = await grain.AppendAsync(Tenant, second with { MsgId = "m-2-repush" }, Event(second with { MsgId = "m-2-repush" }), 3);
            Assert.Equal("m-2", repushed.MsgId);
            await AppendAsync(grain, Message("m-3", "900003", "new"), 4);

            var summary = await grain.GetSummaryAsync();
            Assert.Equal(3, summary!.MessageCount);
            Assert.Equal(["m-1", "m-2", "m-3"], (await grain.GetMessagesAsync(10)).Select(m => m.MsgId));
        }
    }
}

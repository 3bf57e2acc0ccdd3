using System.Net;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Callbacks;

public sealed class SendEchoTests
{
    private const string Container = "28cca2a4c405";

    [Fact]
    public async Task The_echo_of_our_send_reaches_the_tenant_with_our_msgId_and_isOpenApi()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var login = AllTypes().Single(t => t.Type == CallbackTypes.UserLogin);
        using (var r = await host.PostAsync(Envelope(login.Type, login.Data, Container))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var account = host.Grains.GetGrain<IAccountGrain>(Account);
        await CallbackTestHost.EventuallyAsync(() => account.GetBindingAsync(), c => c?.Status == ContainerStatus.Online);

        var body = JsonSerializer.Serialize(new { wxId = Account, conversationId = SingleChat, content = "早晨阳光里!" });
        var ours = await account.EnqueueAsync(new OutboundMessage(SendKind.Text, new ConversationId(SingleChat), body), null);
        var status = await CallbackTestHost.EventuallyAsync(() => account.GetStatusAsync(ours), s => s?.HostMsgId is not null);
        var hostMsgId = status!.HostMsgId!;

        var echo = Message("1012209", null, ("content", "早晨阳光里!"), ("is_pc", 1), ("sender", Account), ("receiver", Customer), ("error_code", 0), ("error_message", ""));
        var echoId = Guid.NewGuid().ToString();
        using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, echo, Container, msgId: echoId, sendMsgId: hostMsgId))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var events = await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.Where(e => e.MsgId == echoId).ToList()), e => e.Count > 0);
        var e = Assert.Single(events);
        Assert.Equal(ours, e.SendMsgId);
        Assert.True(JsonDocument.Parse(e.DataJson!).RootElement.GetProperty("isOpenApi").GetBoolean());
        Assert.Equal(SendState.Sent, (await account.GetStatusAsync(ours))!.State);
        var kept = await host.Grains.GetGrain<IConversationGrain>(IConversationGrain.Key(new WxId(Account), new ConversationId(SingleChat))).GetMessagesAsync(10);
        Assert.Equal((ours, true), (kept.Single().SendMsgId, kept.Single().IsOpenApi));
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Callbacks;

public sealed class ConversationAggregationTests
{
    private const string Container = "40c10a375784";

    [Fact]
    public async Task Conversation_list_shows_last_message_and_unread_since_the_tenant_last_read()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        await host.Grains.GetGrain<ITenantGrain>("t1").AddAccountAsync(new WxId(Account));
        using var tenant = await host.TenantClientAsync("t1");
        const string other = "7881300839070002";
        var otherConversation = $"S:{Account}_{other}";

        for (var i = 0; i < 3; i++) await Post(host, Message($"600000{i}", null, ("content", $"hello {i}")), 1686708147000 + i);
        await Post(host, Message("6000010", otherConversation, ("content", "from the other one"), ("sender", other), ("sender_name", "峰哥")), 1686708148000);
        // Our own outbound message counts as activity, not as unread.
        await Post(host, Message("6000011", null, ("content", "our answer"), ("is_pc", 1), ("sender", Account), ("receiver", Customer)), 1686708149000);

        var list = await CallbackTestHost.EventuallyAsync(() => List(tenant), l => l.Count == 2 && l[0].GetProperty("messageCount").GetInt64() == 4);
        Assert.Equal(SingleChat, list[0].GetProperty("conversationId").GetString());
        Assert.Equal("our answer", list[0].GetProperty("lastMessage").GetProperty("content").GetString());
        Assert.Equal(3, list[0].GetProperty("unreadCount").GetInt32());
        Assert.Contains(list[0].GetProperty("participants").EnumerateArray(), p => p.GetProperty("name").GetString() == "左脚");
        Assert.Equal(otherConversation, list[1].GetProperty("conversationId").GetString());

        var messages = await tenant.GetFromJsonAsync<JsonElement>($"/gnapi/open/conversation/messages?wxId={Account}&conversationId={SingleChat}&limit=2");
        Assert.Equal(["hello 2", "our answer"], messages.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("content").GetString()));

        using var read = await tenant.PostAsJsonAsync("/gnapi/open/conversation/read", new { wxId = Account, conversationId = SingleChat });
        read.EnsureSuccessStatusCode();
        await Post(host, Message("6000020", null, ("content", "after reading")), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000);
        list = await CallbackTestHost.EventuallyAsync(() => List(tenant), l => l[0].GetProperty("messageCount").GetInt64() == 5);
        Assert.Equal(1, list[0].GetProperty("unreadCount").GetInt32());

        // Another tenant cannot read the account's conversations.
        using var stranger = await host.TenantClientAsync("t2");
        using var denied = await stranger.GetAsync($"/gnapi/open/conversation/list?wxId={Account}");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, denied.StatusCode);
    }

    private static async Task Post(CallbackTestHost host, object data, long timestamp)
    {
        using var r = await host.PostAsync(Envelope(CallbackTypes.Text, data, Container, timestamp: timestamp));
        r.EnsureSuccessStatusCode();
    }

    private static async Task<List<JsonElement>> List(HttpClient tenant)
    {
        var body = await tenant.GetFromJsonAsync<JsonElement>($"/gnapi/open/conversation/list?wxId={Account}");
        return body.GetProperty("data").EnumerateArray().ToList();
    }
}

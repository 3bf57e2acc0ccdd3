using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Callbacks;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Callbacks;

public sealed class CallbackIngestionTests
{
    private const string Container = "c0b764946118";

    [Fact]
    public async Task Every_seed_type_is_parsed_and_reaches_the_tenant_with_its_fields()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var sent = new List<(string MsgId, string Type, string Field, string Value)>();
        foreach (var (type, data, field, value) in AllTypes())
        {
            var msgId = Guid.NewGuid().ToString();
            using var response = await host.PostAsync(Envelope(type, data, Container, msgId: msgId));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            sent.Add((msgId, type, field, value));
        }

        Assert.Equal(24, sent.Select(s => s.Type).Distinct().Count());
        var unknownId = Guid.NewGuid().ToString();
        using (var r = await host.PostAsync(Envelope("some_future_type", new { novel = "kept as is" }, Container, msgId: unknownId))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var events = await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.ToList()), e => e.Count >= 25);
        foreach (var (msgId, type, field, value) in sent)
        {
            Assert.True(events.Count(x => x.MsgId == msgId) == 1, $"{type} reached the tenant {events.Count(x => x.MsgId == msgId)} times");
            var e = events.Single(x => x.MsgId == msgId);
            Assert.Equal(type, e.Type);
            Assert.Equal(new TenantId("t1"), e.Tenant);
            Assert.Equal(Container, e.Source);
            Assert.Equal(1686708147954, e.Timestamp);
            if (field.Length == 0) Assert.Null(e.DataJson);
            else Assert.Equal(value, JsonDocument.Parse(e.DataJson!).RootElement.GetProperty(field).ToString());
        }

        var unknown = Assert.Single(events, x => x.MsgId == unknownId);
        Assert.Equal("kept as is", JsonDocument.Parse(unknown.DataJson!).RootElement.GetProperty("novel").GetString());

        // The life cycle went through the container grain: user_login named the account, user_offline came last.
        var view = await host.Grains.GetGrain<IContainerGrain>(Container).GetAsync();
        Assert.Equal(new WxId(Account), view!.Profile!.WxId);
        Assert.Equal("YNG", view.Profile.Username);
        Assert.Equal(ContainerStatus.Offline, view.Status);
    }

    [Fact]
    public async Task With_30_percent_repeats_every_message_is_delivered_and_counted_once()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var random = new Random(7);
        var originals = Enumerable.Range(0, 300)
            .Select(i => (MsgId: Guid.NewGuid().ToString(), ServerId: (2_000_000 + i).ToString()))
            .ToList();
        var posts = new List<string>();
        foreach (var (msgId, serverId) in originals)
        {
            var body = Envelope(CallbackTypes.Text, Message(serverId, null, ("content", serverId)), Container, msgId: msgId);
            posts.Add(body);
            if (random.NextDouble() < 0.15) posts.Add(body); // the same envelope again
            if (random.NextDouble() < 0.15) // the same message re-pushed under a new msgId
                posts.Add(Envelope(CallbackTypes.Text, Message(serverId, null, ("content", serverId)), Container));
        }

        var repeats = posts.Count - originals.Count;
        Assert.True(repeats > 60, $"only {repeats} repeats");
        var answers = await Task.WhenAll(posts.Select(async p =>
        {
            using var r = await host.PostAsync(p);
            return (r.StatusCode, Body: await r.Content.ReadFromJsonAsync<JsonElement>());
        }));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(repeats, answers.Count(a => a.Body.GetProperty("data").GetProperty("duplicate").GetBoolean()));

        var conversation = host.Grains.GetGrain<IConversationGrain>(IConversationGrain.Key(new WxId(Account), new ConversationId(SingleChat)));
        await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.Count), n => n >= originals.Count);
        await Task.Delay(300); // anything delivered twice would arrive within this
        Assert.Equal(originals.Count, host.Publisher.Events.Count);
        Assert.Equal(originals.Count, host.Publisher.Events.Select(e => e.MsgId).Distinct().Count());
        Assert.Equal(originals.Count, (await conversation.GetSummaryAsync())!.MessageCount);
        var counts = await CallbackTestHost.EventuallyAsync(() => host.Store.CountAsync(), c => c.Pending == 0);
        Assert.Equal(originals.Count, counts.Processed);
    }

    [Fact]
    public async Task A_chat_message_is_identified_by_its_server_key_and_any_other_callback_by_its_msgId()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var contact = Envelope(CallbackTypes.ContactAdd, new { conversation_id = SingleChat, user_id = Customer, username = "左脚" }, Container);
        using (var r = await host.PostAsync(contact)) Assert.False(await Duplicate(r));
        using (var r = await host.PostAsync(contact)) Assert.True(await Duplicate(r));

        // A failed send's echo carries no server key: its msgId is what identifies it.
        var failedEcho = Envelope(CallbackTypes.Text, Message("0", null, ("content", "x"), ("error_code", -1000999)), Container);
        using (var r = await host.PostAsync(failedEcho)) Assert.False(await Duplicate(r));
        using (var r = await host.PostAsync(failedEcho)) Assert.True(await Duplicate(r));

        // Two chat messages are two even when a host reuses an envelope msgId for both.
        var msgId = Guid.NewGuid().ToString();
        using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message("5000001", null, ("content", "a")), Container, msgId: msgId))) Assert.False(await Duplicate(r));
        using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message("5000002", null, ("content", "b")), Container, msgId: msgId))) Assert.False(await Duplicate(r));
        Assert.Equal(4, host.Inbox.Stats.Stored);
    }

    [Fact]
    public async Task A_repeat_a_day_later_is_dropped_and_one_past_the_retention_is_not()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        var body = Envelope(CallbackTypes.Text, Message("3000001", null, ("content", "once")), Container);
        using (var r = await host.PostAsync(body)) Assert.False(await Duplicate(r));
        await CallbackTestHost.EventuallyAsync(() => host.Store.CountAsync(), c => c.Processed == 1);

        // A day later (retention 7 days): still a repeat.
        await AgeRowsAsync(host, TimeSpan.FromDays(1));
        using (var r = await host.PostAsync(body)) Assert.True(await Duplicate(r));

        // Past the retention the row is cleaned up, and the msgId is new again.
        await AgeRowsAsync(host, TimeSpan.FromDays(8));
        Assert.Equal(1, await host.Store.CleanupAsync(DateTimeOffset.UtcNow.AddDays(-7).ToUnixTimeMilliseconds(), CancellationToken.None));
        using (var r = await host.PostAsync(body)) Assert.False(await Duplicate(r));
    }

    [Fact]
    public async Task A_room_change_reported_by_two_of_our_accounts_changes_the_group_once()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", "container-one");
        await host.CreateContainerAsync("t2", "container-two", CallbackTestHost.OtherHostKey);
        const string second = "1688854355260002";
        var add = new { member_list = new[] { new { name = "卡卡", user_id = "7881300830190001" } }, op_user_id = Account, op_user_name = "XF", room_conversation_id = Room, room_name = "XF、卡卡" };
        using (var r = await host.PostAsync(Envelope(CallbackTypes.RoomAddMember, add, "container-one", Account, timestamp: 1686643115608))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await host.PostAsync(Envelope(CallbackTypes.RoomAddMember, add, "container-two", second, timestamp: 1686643115811), CallbackTestHost.OtherHostKey, CallbackTestHost.OtherToken))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // Each tenant sees its own account's callback; the group changed once.
        var events = await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.ToList()), e => e.Count >= 2);
        Assert.Equal(["t1", "t2"], events.Select(e => e.Tenant.Value).Order());
        var group = await CallbackTestHost.EventuallyAsync(() => host.Grains.GetGrain<IGroupGrain>(new ConversationId(Room).RoomId!).GetAsync(), g => g?.Accounts.Count == 2);
        Assert.Equal(1, group!.Version);
        var member = Assert.Single(group.Members);
        Assert.Equal(("7881300830190001", Account), (member.UserId, member.InviterId));
        Assert.Contains(member.JoinedAt!.Value, new[] { 1686643115608L, 1686643115811L });
        Assert.Single(group.Notices);

        // The tenant API shows the room to a tenant with an account in it, and only that tenant's accounts.
        await host.Grains.GetGrain<ITenantGrain>("t1").AddAccountAsync(new WxId(Account));
        using var t1 = await host.TenantClientAsync("t1");
        var state = await t1.GetFromJsonAsync<JsonElement>($"/gnapi/open/group/state?conversationId={Room}");
        Assert.Equal("XF、卡卡", state.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal([Account], state.GetProperty("data").GetProperty("accounts").EnumerateArray().Select(a => a.GetString()));
        using var t3 = await host.TenantClientAsync("t3");
        using var hidden = await t3.GetAsync($"/gnapi/open/group/state?conversationId={Room}");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task Callbacks_acknowledged_before_a_restart_are_applied_after_it()
    {
        var file = CallbackTestHost.NewDatabaseFile();
        var msgIds = new List<string>();
        await using (var first = await CallbackTestHost.StartAsync(file, publisherFailing: true))
        {
            await first.CreateContainerAsync("t1", Container);
            for (var i = 0; i < 50; i++)
            {
                var msgId = Guid.NewGuid().ToString();
                msgIds.Add(msgId);
                using var r = await first.PostAsync(Envelope(CallbackTypes.Text, Message((4_000_000 + i).ToString(), null, ("content", $"m{i}")), Container, msgId: msgId));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }

            Assert.Empty(first.Publisher.Events);
            Assert.Equal(50, (await first.Store.CountAsync()).Pending);
        }

        await using var second = await CallbackTestHost.StartAsync(file);
        var events = await CallbackTestHost.EventuallyAsync(() => Task.FromResult(second.Publisher.Events.ToList()), e => e.Count >= 50);
        Assert.Equal(msgIds.Order(), events.Select(e => e.MsgId).Distinct().Order());
        // In inbox order, as one container's stream keeps it.
        Assert.Equal(msgIds, events.Select(e => e.MsgId).Distinct());
        var counts = await CallbackTestHost.EventuallyAsync(() => second.Store.CountAsync(), c => c.Pending == 0);
        Assert.Equal(0, counts.Pending);
    }

    [Fact]
    public async Task Callbacks_for_a_container_we_do_not_know_are_stored_but_not_delivered()
    {
        // Held for the hold (its create may still be coming), then marked unknown.
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Callbacks:UnknownContainerHold"] = "00:00:01" });
        using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message("5000001", null, ("content", "x")), "unknown0001"))) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var counts = await CallbackTestHost.EventuallyAsync(() => host.Store.CountAsync(), c => c.Processed == 1);
        Assert.Equal(1, counts.ByOutcome[CallbackOutcome.UnknownContainer]);
        Assert.Empty(host.Publisher.Events);
    }

    [Fact]
    public async Task A_host_may_not_post_for_a_container_of_another_host()
    {
        await using var host = await CallbackTestHost.StartAsync();
        await host.CreateContainerAsync("t1", Container);
        using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message("5000002", null, ("content", "x")), Container), CallbackTestHost.OtherHostKey, CallbackTestHost.OtherToken))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var counts = await CallbackTestHost.EventuallyAsync(() => host.Store.CountAsync(), c => c.Processed == 1);
        Assert.Equal(1, counts.ByOutcome[CallbackOutcome.WrongHost]);
        Assert.Empty(host.Publisher.Events);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Oversized_callbacks_are_refused_with_413_and_not_stored(bool declaredLength)
    {
        await using var host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Callbacks:MaxBodyBytes"] = "2048" });
        await host.CreateContainerAsync("t1", Container);
        var big = Envelope(CallbackTypes.Text, Message("6000001", null, ("content", new string('x', 4096))), Container);
        var fits = Envelope(CallbackTypes.Text, Message("6000002", null, ("content", "small")), Container);

        async Task<HttpResponseMessage> Post(string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            // Without a declared length the body arrives chunked and is counted as it is read.
            HttpContent content = declaredLength ? new ByteArrayContent(bytes) : new StreamContent(new MemoryStream(bytes));
            content.Headers.ContentType = new("application/json");
            if (!declaredLength) content.Headers.ContentLength = null;
            return await host.Http.PostAsync($"/callbacks/{CallbackTestHost.HostKey}?token={CallbackTestHost.Token}", content);
        }

        using (var refused = await Post(big))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Equal(ErrorCodes.PayloadTooLarge, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetInt32());
        }

        using (var accepted = await Post(fits)) Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var counts = await CallbackTestHost.EventuallyAsync(() => host.Store.CountAsync(), c => c.Processed == 1);
        Assert.Equal(1, counts.Pending + counts.Processed);
    }

    private static async Task<bool> Duplicate(HttpResponseMessage r)
    {
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").GetProperty("duplicate").GetBoolean();
    }

    private static async Task AgeRowsAsync(CallbackTestHost host, TimeSpan age)
    {
        await host.Store.Database.ExecuteAsync(
            $"UPDATE wecom_callback_inbox SET received_at = {DateTimeOffset.UtcNow.Subtract(age).ToUnixTimeMilliseconds()}", _ => { });
    }
}

/// <summary>
/// Callbacks the gateway refuses before the inbox: each test posts to one host shared by the class and checks that the
/// inbox took nothing from its own request.
/// </summary>
public sealed class CallbackRefusalTests(CallbackRefusalTests.Running running) : IClassFixture<CallbackRefusalTests.Running>
{
    private const string Container = "c0b764946118";

    /// <summary>One host for the class: the tests only post and read the inbox's counters.</summary>
    public sealed class Running : IAsyncLifetime
    {
        public CallbackTestHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await CallbackTestHost.StartAsync();

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private readonly CallbackTestHost _host = running.Host;

    public static TheoryData<string?, bool, HttpStatusCode> Tokens => new()
    {
        { CallbackTestHost.Token, false, HttpStatusCode.OK },
        { CallbackTestHost.Token, true, HttpStatusCode.OK },
        { null, false, HttpStatusCode.Unauthorized },
        { "wrong-token-value", false, HttpStatusCode.Unauthorized },
        { CallbackTestHost.OtherToken, true, HttpStatusCode.Unauthorized },
    };

    [Theory, MemberData(nameof(Tokens))]
    public async Task Only_the_host_token_as_query_or_bearer_is_accepted(string? token, bool bearer, HttpStatusCode expected)
    {
        var before = Taken();
        using var r = await _host.PostAsync(Envelope(CallbackTypes.UserOffline, null, Container), CallbackTestHost.HostKey, token, bearer);
        Assert.Equal(expected, r.StatusCode);
        if (expected != HttpStatusCode.OK) Assert.Equal(before, Taken());
    }

    [Fact]
    public async Task An_unknown_host_name_is_unauthorized()
    {
        var before = Taken();
        using var r = await _host.PostAsync(Envelope(CallbackTypes.UserOffline, null, Container), "host-z", CallbackTestHost.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(before, Taken());
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "not json", "malformed JSON" },
        { "[1,2]", "JSON object" },
        { Envelope(CallbackTypes.Text, Message("1"), Container, msgId: ""), "msgId" },
        { Envelope(CallbackTypes.Text, Message("1"), "bad host name!"), "source" },
        { """{"msgId":"a","source":"c0b764946118","timestamp":"soon","type":"user_offline","data":null}""", "timestamp" },
        { Envelope(CallbackTypes.Text, Message("1", "S:2_1"), Container), "conversation_id" },
        { Envelope(CallbackTypes.Text, Message("1", null, ("content", new[] { 1 })), Container), "data" },
        { Envelope(CallbackTypes.Text, "text", Container), "data must be an object" },
        { Envelope(CallbackTypes.RoomAddMember, new { room_conversation_id = "S:1_2" }, Container), "room_conversation_id" },
        { Envelope(CallbackTypes.Text, Message("1"), Container, wxid: "168885435526XXXX"), "wxid" },
        { Envelope(CallbackTypes.QrCodeStatus, new { qrcode_key = "k" }, Container, wxid: ""), "status" },
    };

    [Theory, MemberData(nameof(Malformed))]
    public async Task Malformed_callbacks_are_rejected_with_400_and_not_stored(string body, string mentions)
    {
        var before = Taken();
        var rows = await RowsAsync();
        using var r = await _host.PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(mentions, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("msg").GetString());
        Assert.Equal(before, Taken());
        Assert.Equal(rows, await RowsAsync());
    }

    /// <summary>Callbacks the inbox has taken so far, stored or recognised as repeats.</summary>
    private long Taken() => _host.Inbox.Stats.Stored + _host.Inbox.Stats.Duplicates;

    private async Task<long> RowsAsync() => (await _host.Store.CountAsync()) is var c ? c.Pending + c.Processed : 0;
}

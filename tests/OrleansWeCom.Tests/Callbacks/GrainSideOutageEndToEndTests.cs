using System.Diagnostics;
using System.Net;
using OrleansWeCom.Callbacks;
using Xunit.Abstractions;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// Issue 18's done-when, end to end: the host keeps posting callbacks for several accounts and conversations over real
/// HTTP while the grains' side is down for five hours of the inbox's clock; each is acknowledged (stored in the SQLite
/// inbox), and once the grains answer again every one reaches the tenant's event log exactly once, in the order it was
/// posted within its conversation. The inbox's re-deliveries run on fake time; the pulling agent, the routers and the
/// conversations are the real ones.
/// </summary>
public sealed class GrainSideOutageEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly (string Tenant, string Container, string Account)[] Accounts =
    [
        ("t-outage-a", "outage-a1", "1688854355260101"),
        ("t-outage-a", "outage-a2", "1688854355260102"),
        ("t-outage-b", "outage-b1", "1688854355260103"),
    ];

    private static readonly string[] Peers = ["7881300839070101", "7881300839070102"];
    private const string Room = "R:10849942805070101";

    private OutageTestHost _host = null!;
    private readonly Dictionary<string, List<string>> _posted = [];
    private int _serial;

    public async Task InitializeAsync()
    {
        _host = await OutageTestHost.StartAsync(DateTimeOffset.Parse("2026-12-04T10:00:00Z"));
        foreach (var (tenant, container, _) in Accounts) await _host.CreateContainerAsync(tenant, container);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_five_hour_outage_of_the_grains_side_loses_no_acknowledged_callback_and_applies_each_conversation_in_order()
    {
        var wall = Stopwatch.StartNew();
        await PostRoundAsync();

        // Down for five hours of the inbox's clock, each callback acknowledged: a round every five seconds in its first and
        // last two minutes (so a stream has callbacks first delivered at different times), every ten minutes between.
        _host.Outage.Down = true;
        var start = _host.Clock.GetUtcNow();
        var end = start + TimeSpan.FromHours(5);
        var nextRound = start;
        while (_host.Clock.GetUtcNow() < end)
        {
            var now = _host.Clock.GetUtcNow();
            var busy = now - start < TimeSpan.FromMinutes(2) || end - now <= TimeSpan.FromMinutes(2);
            if (now >= nextRound)
            {
                await PostRoundAsync();
                nextRound = now + (busy ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(10));
            }

            await Task.Delay(15);
            var step = busy ? TimeSpan.FromSeconds(5) : TimeSpan.FromMinutes(1);
            _host.Clock.Advance(end - now < step ? end - now : step);
            if (!busy && end - _host.Clock.GetUtcNow() <= TimeSpan.FromMinutes(2)) nextRound = _host.Clock.GetUtcNow();
        }

        var during = await _host.Store.CountAsync();
        Assert.True(during.Pending > 0, "the outage held callbacks back");
        Assert.True(_host.Outage.Refused > 0, "the grains' side refused calls during the outage");

        // Back up; the host goes on posting while the backlog drains, so new callbacks meet old ones still pending.
        _host.Outage.Down = false;
        var total = 0;
        var deadline = Stopwatch.StartNew();
        for (var step = 0; deadline.Elapsed < TimeSpan.FromSeconds(40); step++)
        {
            if (step < 30 && step % 10 == 0) await PostRoundAsync();
            total = _posted.Values.Sum(v => v.Count);
            if (step >= 30 && (await _host.Store.CountAsync()).Pending == 0 && (await LoggedAsync()).Count >= total) break;
            await Task.Delay(50);
            _host.Clock.Advance(TimeSpan.FromSeconds(20));
        }

        var logged = await LoggedAsync();
        output.WriteLine($"{total} callbacks posted, {logged.Count} logged; recovery took {deadline.Elapsed}, the test {wall.Elapsed}");
        Assert.Equal(total, logged.Count);
        Assert.Equal(total, logged.Distinct().Count());
        var byConversation = logged.GroupBy(e => e.Conversation).ToDictionary(g => g.Key, g => g.Select(e => e.MsgId).ToList());
        foreach (var (conversation, msgIds) in _posted) Assert.Equal(msgIds, byConversation.GetValueOrDefault(conversation));

        var counts = await _host.Store.CountAsync();
        Assert.Equal(0, counts.Pending);
        Assert.False(counts.ByOutcome.ContainsKey(CallbackOutcome.Failed), "no callback is marked failed");
    }

    /// <summary>One text callback per conversation of every account (two one-to-one chats and a room), each acknowledged.</summary>
    private async Task PostRoundAsync()
    {
        foreach (var (_, container, account) in Accounts)
            foreach (var conversation in Peers.Select(p => $"S:{account}_{p}").Append(Room))
            {
                var n = ++_serial;
                var msgId = $"outage-{n}";
                var sender = conversation == Room ? Peers[n % Peers.Length] : conversation[(conversation.IndexOf('_') + 1)..];
                var data = SeedCallbacks.Message($"{900_000 + n}", conversation, ("content", $"message {n}"), ("sender", sender));
                using var response = await _host.PostAsync(SeedCallbacks.Envelope(CallbackTypes.Text, data, container, account, msgId));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var key = $"{account}|{conversation}";
                if (!_posted.TryGetValue(key, out var list)) _posted[key] = list = [];
                list.Add(msgId);
            }
    }

    /// <summary>The text events in the tenants' event logs, in each tenant's order, by account and conversation.</summary>
    private async Task<List<(string Conversation, string MsgId)>> LoggedAsync()
    {
        var all = new List<(string, string)>();
        foreach (var tenant in Accounts.Select(a => a.Tenant).Distinct())
        {
            var events = await _host.EventLog.ReadTenantAsync(new TenantId(tenant), 0, 100_000);
            all.AddRange(events.Where(e => e.Event.Type == CallbackTypes.Text).Select(e => ($"{e.Event.WxId}|{e.Event.ConversationId}", e.Event.MsgId)));
        }

        return all;
    }
}

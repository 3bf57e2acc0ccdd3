using System.Text.Json;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>WeCom's limits: 500 ms between sends of one account, a corp budget per rolling window.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Send_400ms_after_previous_send_of_same_account_fails_with_abnormal_request_frequency()
    {
        await using var h = await Harness.StartAsync(o => o.Limits.AccountSendInterval = TimeSpan.FromMilliseconds(500), fakeTime: true);
        var login = await h.LoginAsync();

        var first = await h.SendTextAsync(login, "one");
        h.Time!.Advance(TimeSpan.FromMilliseconds(400));
        var second = await h.SendTextAsync(login, "two");
        h.Time.Advance(TimeSpan.FromMilliseconds(500));
        var third = await h.SendTextAsync(login, "three");

        Assert.Equal(0, (await h.EchoOfAsync(first)).GetProperty("data").GetProperty("error_code").GetInt32());
        var refused = (await h.EchoOfAsync(second)).GetProperty("data");
        Assert.Equal(-1000999, refused.GetProperty("error_code").GetInt32());
        Assert.Equal("Abnormal request frequency", refused.GetProperty("error_message").GetString());
        Assert.Equal(0, (await h.EchoOfAsync(third)).GetProperty("data").GetProperty("error_code").GetInt32());

        var sent = (await h.GetAsync($"/emulator/containers/{login.Hostname}/sent")).EnumerateArray().ToList();
        Assert.Equal([first, second, third], sent.Select(s => s.GetProperty("msgId").GetString()));
        Assert.Equal([0, -1000999, 0], sent.Select(s => s.GetProperty("errorCode").GetInt32()));
        Assert.All(sent, s => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", s.GetProperty("receivedAt").GetString()));

        var totals = await h.GetAsync("/emulator/sent/totals");
        Assert.Equal(2, totals.GetProperty("delivered").GetInt64());
        Assert.Equal(1, totals.GetProperty("refused").GetInt64());
    }

    [Fact]
    public async Task A_refused_attempt_restarts_the_interval()
    {
        await using var h = await Harness.StartAsync(o => o.Limits.AccountSendInterval = TimeSpan.FromMilliseconds(500), fakeTime: true);
        var login = await h.LoginAsync();
        await h.SendTextAsync(login);
        h.Time!.Advance(TimeSpan.FromMilliseconds(300));
        await h.SendTextAsync(login);
        h.Time.Advance(TimeSpan.FromMilliseconds(300));
        var third = await h.SendTextAsync(login);
        Assert.Equal(-1000999, (await h.EchoOfAsync(third)).GetProperty("data").GetProperty("error_code").GetInt32());
    }

    [Fact]
    public async Task First_send_over_a_shrunk_corp_budget_fails_until_the_window_rolls()
    {
        await using var h = await Harness.StartAsync(o =>
        {
            o.Limits.AccountSendInterval = TimeSpan.Zero;
            o.Limits.CorpSendsPerWindow = 3;
            o.Limits.CorpWindow = TimeSpan.FromMinutes(1);
        }, fakeTime: true);
        var a = await h.LoginAsync("apps-1");
        var b = await h.LoginAsync("apps-2");
        Assert.Equal(a.CorpId, b.CorpId);

        var within = new[] { await h.SendTextAsync(a), await h.SendTextAsync(b), await h.SendTextAsync(a) };
        var over = await h.SendTextAsync(b);
        h.Time!.Advance(TimeSpan.FromSeconds(61));
        var afterWindow = await h.SendTextAsync(b);

        foreach (var msgId in within)
        {
            Assert.Equal(0, (await h.EchoOfAsync(msgId)).GetProperty("data").GetProperty("error_code").GetInt32());
        }

        var refused = (await h.EchoOfAsync(over)).GetProperty("data");
        Assert.Equal(-1000999, refused.GetProperty("error_code").GetInt32());
        Assert.Equal("Abnormal request frequency", refused.GetProperty("error_message").GetString());
        Assert.Equal(0, (await h.EchoOfAsync(afterWindow)).GetProperty("data").GetProperty("error_code").GetInt32());
    }

    [Fact]
    public async Task Successful_sends_get_increasing_server_ids()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var echo = await h.EchoOfAsync(await h.SendTextAsync(login));
            ids.Add(long.Parse(echo.GetProperty("data").GetProperty("server_id").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(ids.Order(), ids);
        Assert.Equal(3, ids.Distinct().Count());
    }
}

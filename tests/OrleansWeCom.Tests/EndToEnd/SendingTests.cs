using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.EndToEnd;

internal static class Sends
{
    /// <summary>A customer of the account in the emulator's world, to write to.</summary>
    public static async Task<string> CustomerOfAsync(this Product product, string wxId)
    {
        var world = await product.WorldAsync();
        foreach (var corp in world.GetProperty("corps").EnumerateArray())
        foreach (var account in corp.GetProperty("accounts").EnumerateArray())
            if (account.GetProperty("wxId").GetString() == wxId)
                return account.GetProperty("externalContacts")[0].GetString()!;
        throw new InvalidOperationException($"account {wxId} not in the world");
    }

    public static async Task<List<(string Corp, string WxId)>> AccountsAsync(this Product product)
    {
        var world = await product.WorldAsync();
        return world.GetProperty("corps").EnumerateArray()
            .SelectMany(c => c.GetProperty("accounts").EnumerateArray().Select(a => (c.GetProperty("corpId").GetString()!, a.GetProperty("wxId").GetString()!)))
            .ToList();
    }

    public static string Single(string a, string b) => ConversationId.Single(new WxId(a), new WxId(b)).Value;

    public static async Task<string> SendTextAsync(this Product product, string wxId, string to, string content, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/gnapi/open/msg/text")
        {
            Content = JsonContent.Create(new { wxId, conversationId = Single(wxId, to), content }),
        };
        request.Headers.Add("apikey", HostProcess.DemoApiKey);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await product.Host.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"send failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("msgId").GetString()!;
    }

    public static async Task<List<JsonElement>> WaitForSentAsync(this Product product, string hostname, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<JsonElement> sent = [];
        while (DateTime.UtcNow < deadline)
        {
            sent = (await product.SentAsync(hostname)).Where(s => s.GetProperty("errorCode").GetInt32() == 0).ToList();
            if (sent.Count >= count) return sent;
            await Task.Delay(50);
        }

        throw new TimeoutException($"{hostname}: {sent.Count} of {count} sends arrived");
    }

    public static async Task FaultsAsync(this Product product, object faults)
    {
        using var response = await product.WorldClient.PutAsJsonAsync("/emulator/faults", faults);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Polls <c>msg/status</c> until its status satisfies <paramref name="done"/>; returns the status's data.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(this Product product, string msgId, Func<string, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement data = default;
        while (DateTime.UtcNow < deadline)
        {
            data = (await product.Host.CallAsync(HttpMethod.Get, $"/gnapi/open/msg/status?msgId={msgId}")).GetProperty("data");
            if (done(data.GetProperty("status").GetString()!)) return data;
            await Task.Delay(100);
        }

        throw new TimeoutException($"message {msgId} still {data}");
    }

    public static DateTimeOffset ReceivedAt(this JsonElement sent) => DateTimeOffset.Parse(sent.GetProperty("receivedAt").GetString()!);
}

[Collection(HostProcessCollection.Sending)]
public sealed class PacingTests(SendingProducts products)
{
    // Enough for eleven gaps per account at the emulator; the pacing rules themselves are tested on fake time.
    private const int Messages = 12;

    [Fact]
    public async Task Three_accounts_with_twelve_messages_each_all_arrive_at_least_500ms_apart_without_frequency_errors()
    {
        var product = await products.DefaultAsync();
        var accounts = new List<(string Host, string WxId, string To)>();
        for (var i = 0; i < 3; i++)
        {
            var (host, wxId, _) = await product.LoginAsync();
            accounts.Add((host, wxId, await product.CustomerOfAsync(wxId)));
        }

        var msgIds = await Task.WhenAll(accounts.SelectMany(a => Enumerable.Range(0, Messages).Select(i => product.SendTextAsync(a.WxId, a.To, $"{a.WxId}-{i}"))));
        Assert.Equal(3 * Messages, msgIds.Distinct().Count());

        foreach (var (host, wxId, _) in accounts)
        {
            var sent = await product.WaitForSentAsync(host, Messages, TimeSpan.FromSeconds(60));
            var all = await product.SentAsync(host);
            Assert.DoesNotContain(all, s => s.GetProperty("errorCode").GetInt32() == -1000999);
            Assert.Equal(Messages, sent.Count);
            var times = all.Select(s => s.ReceivedAt()).Order().ToList();
            var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToList();
            Assert.True(gaps.Min() >= TimeSpan.FromMilliseconds(500), $"{wxId}: smallest gap {gaps.Min().TotalMilliseconds} ms");
            // How close to 500 ms the mean stays is a speed figure: the send benchmark prints it.
            Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"{wxId}-{i}").Order(), all.Select(s => s.GetProperty("content").GetString()).Order());
        }

        var status = await product.Host.CallAsync(HttpMethod.Get, $"/gnapi/open/msg/status?msgId={msgIds[0]}");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (status.GetProperty("data").GetProperty("status").GetString() != "sent" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            status = await product.Host.CallAsync(HttpMethod.Get, $"/gnapi/open/msg/status?msgId={msgIds[0]}");
        }

        Assert.Equal("sent", status.GetProperty("data").GetProperty("status").GetString());
        Assert.Equal(1, status.GetProperty("data").GetProperty("attempts").GetInt32());
        // At the default levels, these sends, their echoes and these requests wrote no line per request, call or placement.
        Assert.DoesNotContain("Request starting", product.Host.Output);
        Assert.DoesNotContain("Execution attempt", product.Host.Output);
        Assert.DoesNotContain("Sending HTTP request", product.Host.Output);
    }
}

[Collection(HostProcessCollection.Sending)]
public sealed class CorpBudgetTests
{
    [Fact]
    public async Task A_shrunk_corp_budget_is_never_exceeded_in_any_rolling_window_and_every_account_progresses()
    {
        // Small enough to take two windows; the budget's arithmetic is tested on fake time.
        const int budget = 9, perAccount = 6;
        var window = TimeSpan.FromSeconds(4);
        await using var product = await Product.StartAsync(
            o =>
            {
                o.Limits.CorpSendsPerWindow = budget;
                o.Limits.CorpWindow = window;
            },
            new Dictionary<string, string>
            {
                ["WeCom:Limits:CorpSendsPerWindow"] = budget.ToString(),
                ["WeCom:Limits:CorpWindow"] = window.ToString(),
            });
        var corpAccounts = (await product.AccountsAsync()).GroupBy(a => a.Corp).First().Take(3).ToList();
        var accounts = new List<(string Host, string WxId, string To)>();
        foreach (var (corp, wxId) in corpAccounts)
        {
            var (host, _, _) = await product.LoginAsync(wxId, corp);
            accounts.Add((host, wxId, await product.CustomerOfAsync(wxId)));
        }

        await Task.WhenAll(accounts.SelectMany(a => Enumerable.Range(0, perAccount).Select(i => product.SendTextAsync(a.WxId, a.To, $"{a.WxId}-{i}"))));

        var sends = new List<(DateTimeOffset At, string WxId)>();
        foreach (var (host, wxId, _) in accounts)
            sends.AddRange((await product.WaitForSentAsync(host, perAccount, TimeSpan.FromSeconds(90))).Select(s => (s.ReceivedAt(), wxId)));
        var everything = new List<(DateTimeOffset At, string WxId, int Error)>();
        foreach (var (host, wxId, _) in accounts)
            everything.AddRange((await product.SentAsync(host)).Select(s => (s.ReceivedAt(), wxId, s.GetProperty("errorCode").GetInt32())));
        Assert.True(everything.All(e => e.Error == 0),
            "refused sends: " + string.Join("\n", everything.OrderBy(e => e.At).Select(e => $"{e.At:HH:mm:ss.fff} {e.WxId[^4..]} {e.Error}")));

        var ordered = sends.OrderBy(s => s.At).ToList();
        var worst = ordered.Max(s => ordered.Count(o => o.At > s.At - window && o.At <= s.At));
        Assert.True(worst <= budget, $"a rolling {window.TotalSeconds} s window saw {worst} sends (budget {budget})");
        // Fair shares: each of the three accounts got a good part of the first window's budget.
        var first = ordered.Take(budget).GroupBy(s => s.WxId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(accounts, a => Assert.True(first.GetValueOrDefault(a.WxId) >= 2, $"{a.WxId} got {first.GetValueOrDefault(a.WxId)} of the first {budget}"));
    }
}

[Collection(HostProcessCollection.Sending)]
public sealed class OutboxDurabilityTests(SendingProducts products)
{
    [Fact]
    public async Task A_crash_with_a_backlog_loses_nothing_and_sends_nothing_twice()
    {
        var product = await products.DefaultAsync();
        var (host, wxId, _) = await product.LoginAsync();
        var to = await product.CustomerOfAsync(wxId);
        for (var i = 0; i < 10; i++) await product.SendTextAsync(wxId, to, $"backlog-{i}");
        await product.WaitForSentAsync(host, 3, TimeSpan.FromSeconds(20));

        await product.CrashAndRestartAsync();

        try
        {
            await product.WaitForSentAsync(host, 10, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\nhistory: " + string.Join(" -> ", await product.HistoryAsync(host)) + "\nhost log:\n" + string.Join("\n", product.Host.Output.Split('\n').Where(l => l.Contains("Outbox") || l.Contains("Account") || l.Contains("fail") || l.Contains("Exception")).Take(60)));
        }

        await Task.Delay(1500);
        var contents = (await product.SentAsync(host)).Where(s => s.GetProperty("errorCode").GetInt32() == 0).Select(s => s.GetProperty("content").GetString()).ToList();
        // Each message exactly once, in the order the tenant sent them, across the crash.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"backlog-{i}"), contents);
    }
}

[Collection(HostProcessCollection.Sending)]
public sealed class OutboxAnswerTests(SendingProducts products) : IAsyncLifetime
{
    private Product _product = null!;

    public async Task InitializeAsync() => _product = await products.BoundedAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_send_whose_answer_never_comes_is_not_sent_again_and_its_late_echo_settles_it()
    {
        var product = _product;
        var (host, wxId, _) = await product.LoginAsync();
        var to = await product.CustomerOfAsync(wxId);

        // The emulator's faults are the shared product's: cleared however this test ends, so the tests after it see none.
        string unanswered;
        try
        {
            // The host carries the send out, but its answer is held past the client's timeout and its echo is lost.
            await product.FaultsAsync(new { lostAnswersMs = 4_000, dropCallbacksMs = 4_000 });
            unanswered = await product.SendTextAsync(wxId, to, "answer and echo lost");
            var lost = await product.WaitForStatusAsync(unanswered, s => s is not ("queued" or "sending"), TimeSpan.FromSeconds(20));
            Assert.Equal("unknown", lost.GetProperty("status").GetString());
            Assert.Contains("not sent again", lost.GetProperty("errorMessage").GetString());
            await product.FaultsAsync(new { lostAnswersMs = 0, dropCallbacksMs = 0 });

            // Only the answer is lost: the echo names a sendMsgId the account never heard of, and settles the send.
            await product.FaultsAsync(new { lostAnswersMs = 4_000 });
            var echoed = await product.SendTextAsync(wxId, to, "answer lost");
            var status = await product.WaitForStatusAsync(echoed, s => s is not ("queued" or "sending" or "unknown"), TimeSpan.FromSeconds(20));
            Assert.Equal("sent", status.GetProperty("status").GetString());
        }
        finally
        {
            await product.FaultsAsync(new { lostAnswersMs = 0, dropCallbacksMs = 0 });
        }

        // The account goes on sending; neither send is repeated, during the faults or after them.
        var next = await product.SendTextAsync(wxId, to, "after");
        await product.WaitForStatusAsync(next, s => s == "sent", TimeSpan.FromSeconds(20));
        Assert.Equal("unknown", (await product.WaitForStatusAsync(unanswered, _ => true, TimeSpan.FromSeconds(5))).GetProperty("status").GetString());
        await Task.Delay(1500);
        var contents = (await product.SentAsync(host)).Select(s => s.GetProperty("content").GetString()).ToList();
        Assert.Equal(["answer and echo lost", "answer lost", "after"], contents);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_msgId_and_sends_once()
    {
        var product = _product;
        var (host, wxId, _) = await product.LoginAsync();
        var to = await product.CustomerOfAsync(wxId);
        var first = await product.SendTextAsync(wxId, to, "once", idempotencyKey: "order-42");
        var second = await product.SendTextAsync(wxId, to, "once", idempotencyKey: "order-42");
        var other = await product.SendTextAsync(wxId, to, "twice", idempotencyKey: "order-43");
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        await product.WaitForSentAsync(host, 2, TimeSpan.FromSeconds(20));
        await Task.Delay(1500);
        Assert.Single(await product.SentAsync(host), s => s.GetProperty("content").GetString() == "once");
    }
}

[Collection(HostProcessCollection.Sending)]
public sealed class SendValidationTests(SendingProducts products) : IAsyncLifetime
{
    private Product _product = null!;
    private string _wxId = null!;
    private string _to = null!;
    private (string Host, string WxId, string To) _filled;

    public async Task InitializeAsync()
    {
        var validation = await products.ValidationAsync();
        (_product, _wxId, _to, _filled) = (validation.Product, validation.Sender.WxId, validation.Sender.To, validation.Filled);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static TheoryData<string, string, string> BadSends => new()
    {
        { "msg/text", """{"wxId":"{w}","conversationId":"{c}"}""", "content is required" },
        { "msg/text", """{"wxId":"{w}","conversationId":"X:1_2","content":"a"}""", "must start with S:" },
        { "msg/text", """{"wxId":"{w}","conversationId":"{reversed}","content":"a"}""", "smaller id first" },
        { "msg/text", """{"wxId":"{w}","conversationId":"S:1_2","content":"a"}""", "does not include the sending account" },
        { "msg/text", """{"wxId":"abc","conversationId":"{c}","content":"a"}""", "wxId" },
        { "msg/roomAt", """{"wxId":"{w}","conversationId":"{c}","content":"a","atList":["0"]}""", "room conversationId" },
        { "msg/roomAt", """{"wxId":"{w}","conversationId":"R:123","content":"hi {$@} and {$@}","atList":["1688"]}""", "placeholders" },
        { "msg/link", """{"wxId":"{w}","conversationId":"{c}","title":"   ","url":"https://example.com"}""", "title is required" },
        { "msg/image", """{"wxId":"{w}","conversationId":"{c}","fileUrl":"ftp://x/y.png"}""", "fileUrl" },
        { "msg/personCard", """{"wxId":"{w}","conversationId":"{c}"}""", "personCardUserId" },
        { "msg/quote", """{"wxId":"{w}","conversationId":"{c}","content":"a"}""", "serverId is required" },
        { "miniProgram/send", """{"wxId":"{w}","conversationId":"{c}","miniProgramId":"x"}""", "miniProgramId" },
        { "videonum/send", """{"wxId":"{w}","conversationId":"{c}"}""", "videoNumId is required" },
        { "msg/text", """{"wxId":"{w}","conversationId":"{c}","content":5,}""", "malformed JSON" },
    };

    [Theory]
    [MemberData(nameof(BadSends))]
    public async Task Bad_sends_answer_400_with_the_reason(string path, string template, string expected)
    {
        var body = template.Replace("{w}", _wxId).Replace("{c}", Sends.Single(_wxId, _to))
            .Replace("{reversed}", Sends.Single(_wxId, _to).Split(':')[1].Split('_') is var p ? $"S:{p[1]}_{p[0]}" : "");
        var error = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/" + path, rawBody: body, expected: HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("msg").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("msg/gif", 6 * 1024 * 1024, "msg/file")]
    [InlineData("msg/video", 51 * 1024 * 1024, "50 MB")]
    public async Task Oversized_gif_and_video_are_refused_up_front(string path, long size, string expected)
    {
        var file = await _product.WorldClient.PostAsJsonAsync("/emulator/files", new { name = "big" + (path.EndsWith("gif") ? ".gif" : ".mp4"), size });
        var filePath = JsonDocument.Parse(await file.Content.ReadAsStringAsync()).RootElement.GetProperty("path").GetString()!;
        var url = new Uri(_product.World.BaseAddress, filePath).ToString();
        var error = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/" + path,
            new { wxId = _wxId, conversationId = Sends.Single(_wxId, _to), fileUrl = url }, expected: HttpStatusCode.BadRequest);
        Assert.Contains(expected, error.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Sending_from_an_account_of_another_tenant_or_unknown_answers_404()
    {
        var error = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/msg/text",
            new { wxId = "1688000000000001", conversationId = Sends.Single("1688000000000001", _to), content = "x" }, expected: HttpStatusCode.NotFound);
        Assert.Contains("1688000000000001", error.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Unknown_msgId_status_answers_404()
    {
        await _product.Host.CallAsync(HttpMethod.Get, "/gnapi/open/msg/status?msgId=nope", expected: HttpStatusCode.NotFound);
        await _product.Host.CallAsync(HttpMethod.Get, "/gnapi/open/msg/status", expected: HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_full_queue_answers_429_and_an_offline_account_409()
    {
        var (host, wxId, to) = _filled;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await _product.Host.SendAsync(HttpMethod.Post, "/gnapi/open/msg/text",
                new { wxId, conversationId = Sends.Single(wxId, to), content = $"q{i}" });
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.OK, statuses[0]);

        await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/stop", new { hostname = new[] { host } });
        var offline = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/msg/text",
            new { wxId, conversationId = Sends.Single(wxId, to), content = "x" }, expected: HttpStatusCode.Conflict);
        Assert.Contains("not online", offline.GetProperty("msg").GetString());
    }
}

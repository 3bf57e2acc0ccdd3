using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>At-least-once delivery: retries, ordering, duplicates, and faults on demand.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task Duplicates_arrive_at_the_configured_rate()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        await h.OkAsync(HttpMethod.Put, "/emulator/callbacks", new { url = h.Receiver.Url, duplicateRate = 0.3 });
        const int count = 500;
        var msgIds = new List<string>();
        for (var i = 0; i < count; i++)
        {
            msgIds.Add(await h.SendTextAsync(login, "m" + i));
        }

        var wanted = msgIds.ToHashSet();
        await Eventually.TrueAsync(() => h.Receiver.All.Count(e => Echo(e) is { } id && wanted.Contains(id)) >= count && Pending(h) == 0, "all echoes delivered");
        var perMessage = h.Receiver.All.Select(Echo).Where(id => id is not null && wanted.Contains(id)).GroupBy(id => id).ToList();
        Assert.Equal(count, perMessage.Count);
        Assert.All(perMessage, g => Assert.InRange(g.Count(), 1, 2));
        var duplicated = perMessage.Count(g => g.Count() == 2);
        // Binomial(500, 0.3): mean 150, sd ≈ 10; ±45 is four and a half sd.
        Assert.InRange(duplicated, 105, 195);
    }

    [Fact]
    public async Task A_failed_post_is_retried_and_callbacks_of_a_container_stay_in_order()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        h.Receiver.FailNext(3);
        var msgIds = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            msgIds.Add(await h.SendTextAsync(login, "m" + i));
        }

        await Eventually.TrueAsync(() => msgIds.All(id => h.Receiver.All.Any(e => Echo(e) == id)), "all echoes after retries");
        Assert.Equal(3, h.Receiver.Failures);
        var order = h.Receiver.All.Select(Echo).OfType<string>().Where(msgIds.Contains).Distinct().ToList();
        Assert.Equal(msgIds, order);
    }

    [Fact]
    public async Task Injected_server_errors_and_dropped_callbacks_last_for_the_time_asked()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();

        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { serverErrorMs = 60_000, serverErrorStatus = 502 });
        var (status, body) = await h.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/list");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.NotEqual(0, body.GetProperty("code").GetInt32());
        var (control, _) = await h.CallAsync(HttpMethod.Get, "/emulator/world");
        Assert.Equal(HttpStatusCode.OK, control);
        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { serverErrorMs = 0 });
        Assert.Equal(HttpStatusCode.OK, (await h.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/list")).Status);

        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { dropCallbacksMs = 60_000 });
        var lost = await h.SendTextAsync(login, "lost");
        await Eventually.TrueAsync(() => Pending(h) == 0, "the dropped callback to be processed");
        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { dropCallbacksMs = 0 });
        var kept = await h.SendTextAsync(login, "kept");
        await h.EchoOfAsync(kept);
        Assert.DoesNotContain(h.Receiver.All, e => Echo(e) == lost);
    }

    [Fact]
    public async Task Injected_timeouts_hold_requests_until_the_client_gives_up()
    {
        await using var h = await Harness.StartAsync();
        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { timeoutMs = 60_000 });
        using var impatient = new HttpClient { BaseAddress = h.Emulator.BaseAddress, Timeout = TimeSpan.FromMilliseconds(300) };
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync("/gnapi/open/inner/user/list"));
        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { timeoutMs = 0 });
        Assert.Equal(HttpStatusCode.OK, (await impatient.GetAsync("/gnapi/open/inner/user/list")).StatusCode);
    }

    [Fact]
    public async Task Lost_answers_carry_the_request_out_but_hold_the_answer_until_the_client_gives_up()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { lostAnswersMs = 60_000 });
        using var impatient = new HttpClient { BaseAddress = h.Emulator.BaseAddress, Timeout = TimeSpan.FromMilliseconds(300) };
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.PostAsJsonAsync(
            "/gnapi/open/msg/text", new { wxId = login.WxId, conversationId = login.Conversation, content = "carried out" }));

        // The send went out and was echoed, though its caller never heard of it.
        var sent = await h.GetAsync($"/emulator/containers/{login.Hostname}/sent");
        Assert.Contains(sent.EnumerateArray(), s => s.GetProperty("content").GetString() == "carried out");
        var echo = await h.Receiver.WaitForAsync(e => e.ToString().Contains("carried out"), "the echo of the unanswered send");
        Assert.Equal(0, echo.GetProperty("data").GetProperty("error_code").GetInt32());

        await h.OkAsync(HttpMethod.Put, "/emulator/faults", new { lostAnswersMs = 0 });
        Assert.Equal(HttpStatusCode.OK, (await impatient.GetAsync("/gnapi/open/inner/user/list")).StatusCode);
    }

    [Fact]
    public async Task Set_callbacks_in_process_redirects_delivery()
    {
        await using var h = await Harness.StartAsync(o => o.Callbacks.Url = "http://127.0.0.1:1/nowhere");
        await using var other = await CallbackReceiver.StartAsync();
        h.Emulator.SetCallbacks(other.Url, 0);
        await h.PostAsync("/gnapi/open/container/create", new { userId = "apps-1" });
        await other.WaitForTypeAsync("qrcode_status_msg");
    }

    private static string? Echo(JsonElement e) => e.GetProperty("sendMsgId").ValueKind == JsonValueKind.String ? e.GetProperty("sendMsgId").GetString() : null;

    private static long Pending(Harness h) =>
        h.Http.GetFromJsonAsync<JsonElement>("/emulator/callbacks").GetAwaiter().GetResult().GetProperty("pending").GetInt64();
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using static OrleansWeCom.Tests.TenantApi.DirectoryTestHost;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>
/// Seed 003's send to every contact of a tag: 200 contacts, paced per account through the outbox. The account's send
/// interval (ours and the emulator's) is 25 ms instead of 500 ms so the 200 sends take 5 s, not 100 s; the assertion
/// is the same: no two sends of the account reach the host closer than the interval.
/// </summary>
public sealed class TagFanOutTests
{
    private const int Recipients = 200;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    [Fact]
    public async Task A_tag_fan_out_to_200_contacts_is_paced_idempotent_and_its_batch_reaches_all_sent()
    {
        await using var host = await StartAsync(new Dictionary<string, string?>
        {
            ["WeCom:Limits:AccountSendInterval"] = Interval.ToString(),
            ["WeCom:Limits:MaxPrepareAhead"] = "00:00:00.010",
            ["Emulator:Limits:AccountSendInterval"] = Interval.ToString(),
            ["Emulator:World:CustomersPerCorp"] = "240",
            ["Emulator:World:ContactsPerAccount"] = "230",
        });
        var mine = await host.TenantAsync("t1");
        var other = await host.TenantAsync("t2");
        var (hostname, wx) = await host.LoginAsync(mine);
        var customers = await SeedFeatureTests.IdsAsync(host, "/contact/external/list", wx);
        Assert.True(customers.Count > Recipients, $"the emulator gave {customers.Count} customers");
        var label = (await DataAsync(await CallAsync(host.Emulator, "GET", "/label/all", new { wxId = wx }))).EnumerateArray().First().GetProperty("labelId").GetString()!;
        // Exactly 200 contacts carry the tag.
        for (var i = 0; i < customers.Count; i++)
            await DataAsync(await CallAsync(host.Emulator, "POST", "/label/contact/setlabel",
                new { labelIds = i < Recipients ? new[] { label } : [], contactUserId = customers[i], wxId = wx }));

        var request = new HttpRequestMessage(HttpMethod.Post, "/gnapi/open/send-message-all") { Content = System.Net.Http.Json.JsonContent.Create(new { wxId = wx, tag = label, message = "sale today" }) };
        request.Headers.Add("Idempotency-Key", "sale-1");
        var started = await DataAsync(await mine.SendAsync(request));
        var batchId = started.GetProperty("batchId").GetString()!;
        Assert.Equal(Recipients, started.GetProperty("total").GetInt32());

        // The same key again is the same batch: nothing more is queued.
        var again = new HttpRequestMessage(HttpMethod.Post, "/gnapi/open/send-message-all") { Content = System.Net.Http.Json.JsonContent.Create(new { wxId = wx, tag = label, message = "sale today" }) };
        again.Headers.Add("Idempotency-Key", "sale-1");
        Assert.Equal(batchId, (await DataAsync(await mine.SendAsync(again))).GetProperty("batchId").GetString());

        JsonElement progress = default;
        await SeedFeatureTests.WaitAsync(async () =>
        {
            progress = await DataAsync(await mine.GetAsync($"/gnapi/open/send-message-all/status?batchId={batchId}"));
            return progress.GetProperty("sent").GetInt32() == Recipients;
        }, "the batch never reached all sent", seconds: 90);
        Assert.Equal(0, progress.GetProperty("failed").GetInt32() + progress.GetProperty("queued").GetInt32() + progress.GetProperty("unknown").GetInt32());

        var sent = JsonDocument.Parse(await host.Emulator.GetStringAsync($"/emulator/containers/{hostname}/sent")).RootElement.EnumerateArray()
            .Where(s => s.GetProperty("content").GetString() == "sale today").ToList();
        Assert.Equal(Recipients, sent.Count);
        Assert.All(sent, s => Assert.Equal(0, s.GetProperty("errorCode").GetInt32()));
        Assert.Equal(Recipients, sent.Select(s => s.GetProperty("conversationId").GetString()).Distinct().Count());
        var times = sent.Select(s => DateTimeOffset.Parse(s.GetProperty("receivedAt").GetString()!, CultureInfo.InvariantCulture)).Order().ToList();
        var closest = times.Zip(times.Skip(1), (a, b) => b - a).Min();
        Assert.True(closest >= Interval, $"two sends of the account reached the host {closest.TotalMilliseconds} ms apart");

        // The batch is the tenant's alone; an unknown tag is 404.
        using (var foreign = await other.GetAsync($"/gnapi/open/send-message-all/status?batchId={batchId}")) Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using (var foreignSend = await CallAsync(other, "POST", "/send-message-all", new { wxId = wx, tag = label, message = "x" })) Assert.Equal(HttpStatusCode.NotFound, foreignSend.StatusCode);
        using (var unknown = await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = "no such tag", message = "x" })) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_tag_past_the_recipient_bound_is_413_a_batch_past_the_queue_cap_or_the_hourly_limit_is_429_and_old_batches_are_forgotten()
    {
        await using var host = await StartAsync(new Dictionary<string, string?>
        {
            ["WeCom:Broadcast:MaxRecipients"] = "3",
            ["WeCom:Limits:MaxQueuedPerAccount"] = "4",
            ["WeCom:Broadcast:MaxBatchesPerHour"] = "2",
            ["WeCom:Broadcast:MaxKeptBatches"] = "1",
        });
        var mine = await host.TenantAsync("t1");
        var (_, wx) = await host.LoginAsync(mine);
        var customers = await SeedFeatureTests.IdsAsync(host, "/contact/external/list", wx);
        var labels = (await DataAsync(await CallAsync(host.Emulator, "GET", "/label/all", new { wxId = wx }))).EnumerateArray()
            .Select(l => l.GetProperty("labelId").GetString()!).Take(2).ToList();
        // The first label on four contacts, the second on three, no label on the rest.
        for (var i = 0; i < customers.Count; i++)
            await DataAsync(await CallAsync(host.Emulator, "POST", "/label/contact/setlabel",
                new { labelIds = i < 4 ? [labels[0]] : i < 7 ? new[] { labels[1] } : [], contactUserId = customers[i], wxId = wx }));

        using (var tooLarge = await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = labels[0], message = "x" }))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            Assert.Equal(ErrorCodes.PayloadTooLarge, JsonDocument.Parse(await tooLarge.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        // Three queued of four (at least two still wait their 500 ms turn); three more pass the outbox cap and none of them is queued.
        var first = await DataAsync(await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = labels[1], message = "one" }));
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        using (var full = await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = labels[1], message = "two" }))
            Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.True(await host.Grains.GetGrain<IAccountGrain>(wx).GetQueueLengthAsync() <= 3);

        // The refused batch does not count: once the first is sent a second starts, and only the newest record is kept.
        var firstId = first.GetProperty("batchId").GetString()!;
        await SeedFeatureTests.WaitAsync(async () => (await DataAsync(await mine.GetAsync($"/gnapi/open/send-message-all/status?batchId={firstId}"))).GetProperty("sent").GetInt32() == 3,
            "the first batch was never sent");
        var second = await DataAsync(await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = labels[1], message = "three" }));
        await DataAsync(await mine.GetAsync($"/gnapi/open/send-message-all/status?batchId={second.GetProperty("batchId").GetString()}"));
        using (var forgotten = await mine.GetAsync($"/gnapi/open/send-message-all/status?batchId={firstId}")) Assert.Equal(HttpStatusCode.NotFound, forgotten.StatusCode);

        // Two batches within the hour is the limit.
        using var third = await CallAsync(mine, "POST", "/send-message-all", new { wxId = wx, tag = labels[1], message = "four" });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("within the hour", await third.Content.ReadAsStringAsync());
    }
}

using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 7: a send another activation of the account has marked as sending is not sent by this one.</summary>
public sealed class DuplicateActivationTests
{
    private const string W = "1688854355260001";

    private sealed class RecordingSender : IContainerHostSender
    {
        public readonly ConcurrentQueue<string> Bodies = new();

        public Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
        {
            Bodies.Enqueue(bodyJson);
            return Task.FromResult(Guid.NewGuid().ToString());
        }
    }

    [Fact]
    public async Task Finding7_a_send_another_activation_has_claimed_is_not_sent_again()
    {
        var sender = new RecordingSender();
        await using var host = await CallbackTestHost.StartAsync(sender: sender,
            settings: new Dictionary<string, string?> { ["WeCom:Limits:AccountSendInterval"] = "00:00:02" });
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);

        var first = await PostAsync(tenant, "msg/text", Text(W, "first"));
        var second = await PostAsync(tenant, "msg/text", Text(W, "second"));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, second.Status));
        // Another activation of the account (a silo declared dead while still running) marks the queued send first.
        var outbox = host.Services.GetRequiredService<OutboxStore>();
        var row = (await outbox.FindRowAsync(second.Body.GetProperty("data").GetProperty("msgId").GetString()!))!;
        Assert.Equal(SendState.Queued, row.State);
        await outbox.SaveAsync(row with { State = SendState.Sending, Attempts = 1, LastAttemptAt = DateTimeOffset.UtcNow });

        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Single(sender.Bodies);
        Assert.Contains("first", sender.Bodies.Single());
    }
}

using System.Net;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 9: the bytes of unsettled sends are bounded per tenant, across its accounts, and freed as they settle.</summary>
public sealed class TenantQueuedBytesTests
{
    private const string W1 = "1688854355261001";
    private const string W2 = "1688854355261002";
    private const string W3 = "1688854355261003";

    /// <summary>A host that holds every send until <see cref="Open"/>, then refuses it (the send settles as failed).</summary>
    private sealed class GatedSender : IContainerHostSender
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        public async Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
        {
            await _gate.Task.WaitAsync(cancellationToken);
            throw WeComException.BadRequest("refused by the host");
        }
    }

    private static object Link(string wxId, int i) =>
        new { wxId, conversationId = $"S:{wxId}_{SeedCallbacks.Customer}", title = i + new string('t', 30_000), url = "https://example.com" };

    [Fact]
    public async Task A_tenants_accounts_together_hold_at_most_MaxQueuedBytesPerTenant_and_get_it_back_as_sends_settle()
    {
        var sender = new GatedSender();
        await using var host = await CallbackTestHost.StartAsync(sender: sender, settings: new Dictionary<string, string?>
        {
            ["WeCom:Limits:MaxQueuedBytesPerAccount"] = (1024 * 1024).ToString(),
            ["WeCom:Limits:MaxQueuedBytesPerTenant"] = (256 * 1024).ToString(),
        });
        var t1 = await TenantAsync(host, "t1");
        var t2 = await TenantAsync(host, "t2");
        await LoginAsync(host, "t1", "c-1", W1);
        await LoginAsync(host, "t1", "c-2", W2);
        await LoginAsync(host, "t2", "c-3", W3);

        // Each body is about 30,000 characters, 60 KB as held: four fit under the tenant's 256 KB, whichever account holds them.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(t1, "msg/link", Link(W1, 0))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(t1, "msg/link", Link(W1, 1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(t1, "msg/link", Link(W2, 2))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(t1, "msg/link", Link(W2, 3))).Status);
        var (status, body) = await PostAsync(t1, "msg/link", Link(W2, 4));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(ErrorCodes.QueueFull, body.GetProperty("code").GetInt32());
        Assert.Contains("tenant t1", body.GetProperty("msg").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("data").ValueKind);

        // Another tenant is not held back by t1's bytes.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(t2, "msg/link", Link(W3, 5))).Status);

        // The host refuses the held sends: they settle, and the tenant's bytes are free again.
        sender.Open();
        var freed = await CallbackTestHost.EventuallyAsync(async () => (await PostAsync(t1, "msg/link", Link(W1, 6))).Status,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, freed);
    }
}

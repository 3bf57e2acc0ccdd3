using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>A delivery verified the way the README tells tenants to: with the StandardWebhooks package and the secret as given.</summary>
public class StandardWebhooksVerificationTests
{
    [Fact]
    public async Task A_delivery_verifies_with_the_StandardWebhooks_package_and_a_tampered_one_does_not()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await WebhookTestHost.StartAsync();
        var tenant = await host.TenantClientAsync("t-verify");
        var (status, put) = await WebhookTestHost.PutWebhookAsync(tenant, receiver.Url("verify"));
        Assert.Equal(HttpStatusCode.OK, status);
        var secret = put.GetProperty("data").GetProperty("secret").GetString()!;
        await host.Publisher.PublishAsync(SampleEvents.Text("t-verify", "1688854355260001", "S:1688854355260001_7881300839070001", "hello"));
        var got = (await WebhookTestHost.EventuallyAsync(() => receiver.DeliveredTo("verify"), r => r.Count > 0, TimeSpan.FromSeconds(15))).First();

        var headers = new HeaderDictionary
        {
            ["webhook-id"] = got.Id,
            ["webhook-timestamp"] = got.Timestamp,
            ["webhook-signature"] = got.Signature,
        };
        var body = Encoding.UTF8.GetString(got.Body);
        var webhook = new StandardWebhook(secret);
        webhook.Verify(body, headers);
        Assert.Throws<WebhookVerificationException>(() => webhook.Verify(body.Replace("hello", "hullo"), headers));
    }
}

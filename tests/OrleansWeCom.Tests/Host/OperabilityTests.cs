using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Callbacks.SeedCallbacks;

namespace OrleansWeCom.Tests.Host;

/// <summary>What operators and tenant developers see beside the API: metrics, the API document, the dashboard.</summary>
public class OperabilityTests(OperabilityTests.Running running) : IClassFixture<OperabilityTests.Running>
{
    private const string AdminKey = "adm_operability_test_key_0123";

    /// <summary>One host for the class, with metrics, the operator key and the dashboard; no test changes what another reads.</summary>
    public sealed class Running : IAsyncLifetime
    {
        internal CallbackTestHost Host { get; private set; } = null!;

        public async Task InitializeAsync() => Host = await CallbackTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus:Enabled"] = "true",
            ["Gateway:AdminApiKey"] = AdminKey,
            ["Dashboard:Enabled"] = "true",
        });

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    [Fact]
    public async Task The_Prometheus_endpoint_counts_callbacks_ingested_and_applied()
    {
        var host = running.Host;
        await host.CreateContainerAsync("t1", "c0b7649461cc");
        for (var i = 0; i < 3; i++)
            using (var r = await host.PostAsync(Envelope(CallbackTypes.Text, Message((8_000_000 + i).ToString(), null, ("content", "m")), "c0b7649461cc")))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await CallbackTestHost.EventuallyAsync(() => Task.FromResult(host.Publisher.Events.Count), n => n >= 3);

        // The SDK exports on collection; the scrape may lag a collection behind.
        var text = await CallbackTestHost.EventuallyAsync(() => host.Http.GetStringAsync("/metrics"),
            t => Value(t, "wecom_callbacks_ingested", "stored") >= 3 && Value(t, "wecom_callbacks_applied", "Applied") >= 3, TimeSpan.FromSeconds(30));
        Assert.True(Value(text, "wecom_callbacks_ingested", "stored") >= 3, text);
        Assert.True(Value(text, "wecom_callbacks_applied", "Applied") >= 3);
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_tenant_routes_and_the_docs_page_loads()
    {
        var host = running.Host;
        using var document = JsonDocument.Parse(await host.Http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/gnapi/open/msg/text", paths);
        Assert.Contains("/gnapi/open/container/create", paths);
        Assert.Contains("/gnapi/open/contact/external/list", paths);

        using var docs = await host.Http.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_dashboard_asks_a_browser_for_the_operator_key()
    {
        var host = running.Host;
        using (var anonymous = await host.Http.GetAsync("/admin/dashboard/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains("Basic", anonymous.Headers.WwwAuthenticate.ToString());
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/dashboard/");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:" + AdminKey)));
        using var page = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    /// <summary>The value of a Prometheus counter's sample whose labels contain <paramref name="label"/>; 0 when none.</summary>
    private static double Value(string text, string metric, string label) => text.Split('\n')
        .Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Contains('"' + label + '"'))
        .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
        .DefaultIfEmpty(0).Sum();
}

using System.Net.Http.Json;
using Microsoft.Playwright;
using OrleansWeCom.Tests.Callbacks;
using OrleansWeCom.Tests.TenantApi;
using OrleansWeCom.Tests.Webhooks;

namespace OrleansWeCom.Tests.Host;

/// <summary>The tenant console in headless Chromium (Debian's, never a downloaded one) against the host and the emulator.</summary>
public class ConsoleTests(ConsoleTests.Running running) : IClassFixture<ConsoleTests.Running>
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// One host (the operator routes' settings) and one Chromium for the class; each test signs in on a page of its own
    /// (its own browser context, so its own session storage) with tenants of its own.
    /// </summary>
    public sealed class Running : IAsyncLifetime
    {
        private IPlaywright? _playwright;
        private IBrowser? _browser;

        internal DirectoryTestHost Host { get; private set; } = null!;

        internal IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is missing");

        public async Task InitializeAsync()
        {
            Host = await OperatorRoutesTests.StartAsync();
            if (!File.Exists(Chromium)) return;
            _playwright = await Playwright.CreateAsync();
            _browser = await LaunchAsync(_playwright);
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null) await _browser.DisposeAsync();
            _playwright?.Dispose();
            await Host.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_page_alone_logs_an_account_in_and_sends_a_message_it_then_shows_in_the_conversation()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: scripts/test.sh installs Debian's package 'chromium'");
        var host = running.Host;
        var tenant = await host.TenantAsync("console");
        var key = tenant.DefaultRequestHeaders.GetValues("apikey").Single();

        await using var console = await OpenConsoleAsync(running.Browser, host);
        var page = console.Page;
        await SignInAsync(page, key);
        // The key stays in the tab's session storage, not in a cookie or the page.
        Assert.Equal(key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('wecom.apikey')"));

        await page.ClickAsync("#create");
        // The QR code is fetched with the apikey header and shown as an image the browser decoded.
        await page.WaitForFunctionAsync("() => { const i = document.getElementById('qr'); return !i.hidden && i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0; }");
        var hostname = await page.TextContentAsync("#hostname");
        Assert.False(string.IsNullOrEmpty(hostname));

        // The person with the phone scans the code at the emulator.
        using (var scan = await host.Emulator.PostAsJsonAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false }))
            Assert.True(scan.IsSuccessStatusCode, await scan.Content.ReadAsStringAsync());
        var online = $"#accounts tr[data-hostname='{hostname}'] td.status";
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{online}\")?.textContent === 'online'");
        var wxId = await page.TextContentAsync($"#accounts tr[data-hostname='{hostname}'] td.wxid");
        // The life cycle reached the page through the live stream.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#events li')].some(li => li.textContent.includes('account_state_changed'))");

        var customer = await TelemetryTests.CustomerOfAsync(host, wxId!);
        await page.WaitForSelectorAsync($"#send-from option[value='{wxId}']", new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("#send-from", wxId!);
        await page.FillAsync("#send-to", customer);
        await page.FillAsync("#send-text", "hello from the console");
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#conversation li.outbound')].some(li => li.textContent === 'me: hello from the console')");
    }

    [Fact]
    public async Task The_page_sets_a_webhook_shows_the_send_counters_and_replays_a_dead_letter()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: scripts/test.sh installs Debian's package 'chromium'");
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = receiver.Hook("console");
        hook.Status = 500;
        var host = running.Host;
        var tenant = await host.TenantAsync("hooked");
        var key = tenant.DefaultRequestHeaders.GetValues("apikey").Single();

        await using var console = await OpenConsoleAsync(running.Browser, host);
        var page = console.Page;
        await SignInAsync(page, key);

        await page.FillAsync("#webhook-new-url", receiver.Url("console"));
        await page.ClickAsync("#webhook-save");
        await page.WaitForFunctionAsync($"() => document.getElementById('webhook-url').textContent === '{receiver.Url("console")}'");
        // The generated secret is shown once, in the answer that set it.
        Assert.StartsWith("Signing secret (shown once): ", await page.TextContentAsync("#webhook-secret"));

        // Logging in makes events; the endpoint answers 500 until the retry window (1 s here) gives them up.
        var (hostname, wxId) = await host.LoginAsync(tenant);
        var deadRow = "#dead tbody tr";
        await page.WaitForSelectorAsync(deadRow);
        var msgId = await page.GetAttributeAsync(deadRow, "data-msgid");
        Assert.Contains(receiver.For("console"), r => r.Id == msgId && r.Status == 500);

        hook.Status = 200;
        await page.ClickAsync($"#dead tr[data-msgid='{msgId}'] button.replay");
        await CallbackTestHost.EventuallyAsync(() => Task.FromResult(receiver.DeliveredTo("console").Any(r => r.Id == msgId)), delivered => delivered, TimeSpan.FromSeconds(20));
        Assert.Contains(receiver.DeliveredTo("console"), r => r.Id == msgId);
        await page.WaitForSelectorAsync($"#dead tr[data-msgid='{msgId}']", new() { State = WaitForSelectorState.Detached });

        // The accounts list counts the account's sends.
        var customer = await TelemetryTests.CustomerOfAsync(host, wxId);
        await TelemetryTests.SendTextAsync(tenant, wxId, customer, "counted");
        await page.WaitForFunctionAsync($"() => document.querySelector(\"#accounts tr[data-hostname='{hostname}'] td.sent\")?.textContent === '1'");
        Assert.Equal("0", await page.TextContentAsync($"#accounts tr[data-hostname='{hostname}'] td.failed"));
    }

    [Fact]
    public async Task The_operator_signs_in_with_the_admin_key_and_sees_tenants_host_circuits_and_re_drives_a_failed_callback()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: scripts/test.sh installs Debian's package 'chromium'");
        var host = running.Host;
        var tenant = await host.TenantAsync("watched");
        await host.LoginAsync(tenant);
        var failedId = await OperatorRoutesTests.StoreUnparsableAsync(host, "broken-console");

        await using var console = await OpenConsoleAsync(running.Browser, host);
        var page = console.Page;

        // A tenant's key is not the operator's.
        await page.FillAsync("#apikey", tenant.DefaultRequestHeaders.GetValues("apikey").Single());
        await page.ClickAsync("#operator-signin-button");
        await page.WaitForFunctionAsync("() => document.getElementById('signin-error').textContent.length > 0");
        Assert.True(await page.IsHiddenAsync("#operator"));

        await page.FillAsync("#apikey", OperatorRoutesTests.AdminKey);
        await page.ClickAsync("#operator-signin-button");
        await page.WaitForSelectorAsync("#operator", new() { State = WaitForSelectorState.Visible });
        await page.WaitForSelectorAsync("#tenants tr[data-tenant='watched']");
        Assert.Equal("1", await page.TextContentAsync("#tenants tr[data-tenant='watched'] td.accounts"));
        Assert.Equal("closed", await page.TextContentAsync("#hosts tr[data-host='emulator'] td.circuit"));

        await page.ClickAsync($"#failed tr[data-id='{failedId}'] button.redrive");
        await page.WaitForSelectorAsync($"#failed tr[data-id='{failedId}']", new() { State = WaitForSelectorState.Detached });
        // Still unparsable, it fails again under a new id, and the page shows it there.
        await page.WaitForFunctionAsync($"() => [...document.querySelectorAll('#failed tbody tr')].some(tr => tr.querySelector('td.msgid').textContent === 'broken-console' && tr.dataset.id !== '{failedId}')");
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    /// <summary>The console on a page in a browser context of its own; disposing it closes the context.</summary>
    private static async Task<ConsolePage> OpenConsoleAsync(IBrowser browser, DirectoryTestHost host)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(host.Http.BaseAddress!, "/console/").ToString());
        return new ConsolePage(context, page);
    }

    /// <summary>Signs in with a tenant's key and waits for the tenant's view.</summary>
    private static async Task SignInAsync(IPage page, string key)
    {
        await page.FillAsync("#apikey", key);
        await page.ClickAsync("#signin-button");
        await page.WaitForSelectorAsync("#app", new() { State = WaitForSelectorState.Visible });
    }

    private sealed record ConsolePage(IBrowserContext Context, IPage Page) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(Context.CloseAsync());
    }
}

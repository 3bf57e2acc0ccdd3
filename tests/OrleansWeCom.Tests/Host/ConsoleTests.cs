using System.Net.Http.Json;
using Microsoft.Playwright;
using OrleansWeCom.Tests.TenantApi;

namespace OrleansWeCom.Tests.Host;

/// <summary>The tenant console in headless Chromium (Debian's, never a downloaded one) against the host and the emulator.</summary>
public class ConsoleTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_page_alone_logs_an_account_in_and_sends_a_message_it_then_shows_in_the_conversation()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: scripts/test.sh installs Debian's package 'chromium'");
        await using var host = await DirectoryTestHost.StartAsync();
        var tenant = await host.TenantAsync("console");
        var key = tenant.DefaultRequestHeaders.GetValues("apikey").Single();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(new Uri(host.Http.BaseAddress!, "/console/").ToString());

        await page.FillAsync("#apikey", key);
        await page.ClickAsync("#signin-button");
        await page.WaitForSelectorAsync("#app", new() { State = WaitForSelectorState.Visible });
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
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansWeCom.Tests.EndToEnd;

/// <summary>The seed's login flows, walked through the tenant API against the emulator; each checks what the tenant sees and what was persisted.</summary>
[Collection(OrleansWeCom.Tests.Infrastructure.HostProcessCollection.Name)]
public sealed class LifecycleTests(LifecycleTests.Running running) : IClassFixture<LifecycleTests.Running>
{
    /// <summary>One product for the class: each test walks a container of its own (one crashes and restarts the host).</summary>
    public sealed class Running : IAsyncLifetime
    {
        public Product Product { get; private set; } = null!;

        public async Task InitializeAsync() => Product = await Product.StartAsync(o => o.KeepSec = 600);

        public async Task DisposeAsync() => await Product.DisposeAsync();
    }

    private readonly Product _product = running.Product;

    [Fact]
    public async Task Scan_without_verify_brings_the_account_online()
    {
        var (hostname, wxId, corpId) = await _product.LoginAsync();
        var container = await _product.ContainerAsync(hostname);
        Assert.Equal(wxId, container.GetProperty("wxId").GetString());
        Assert.Equal(corpId, container.GetProperty("corp_id").GetString());
        var history = await _product.HistoryAsync(hostname);
        Assert.Equal("LoggingIn/WaitingForScan", history[0]);
        Assert.Contains("LoggingIn/Scanning", history);
        Assert.Equal("Online", history[^1]);
        // IsOnline defaults to true: the online account is listed without the filter.
        var online = await _product.Host.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/wx/list");
        Assert.Contains(online.GetProperty("data").EnumerateArray(), c => c.GetProperty("hostname").GetString() == hostname);
    }

    [Fact]
    public async Task Scan_with_verify_refuses_a_wrong_code_then_accepts_the_right_one()
    {
        var hostname = await _product.CreateContainerAsync();
        await _product.ScanAsync(hostname, requireVerify: true);
        await _product.WaitForAsync(hostname, c => c.GetProperty("LoginStep").GetString() == "RequireVerify", "waiting for the verify code");
        var code = await _product.WorldClient.GetFromJsonAsync<JsonElement>($"/emulator/containers/{hostname}/verify-code");
        var right = code.GetProperty("code").GetString()!;
        var wrong = right == "000000" ? "111111" : "000000";

        var refused = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/verify", new { hostname, code = wrong });
        Assert.True(refused.GetProperty("data").GetProperty("errcode").GetInt32() < 0);
        Assert.Equal("RequireVerify", (await _product.ContainerAsync(hostname)).GetProperty("LoginStep").GetString());

        var accepted = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/verify",
            new { hostname, key = code.GetProperty("key").GetString(), code = right });
        Assert.Equal(0, accepted.GetProperty("data").GetProperty("errcode").GetInt32());
        await _product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online");
        Assert.Contains("LoggingIn/RequireVerify", await _product.HistoryAsync(hostname));
    }

    [Fact]
    public async Task Verify_when_no_code_is_awaited_names_the_state()
    {
        var (hostname, _, _) = await _product.LoginAsync();
        var error = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/verify", new { hostname, code = "123456" }, expected: HttpStatusCode.Conflict);
        Assert.Contains("Online", error.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Safe_validate_and_user_offline_are_tracked()
    {
        var (hostname, _, _) = await _product.LoginAsync();
        await _product.WorldClient.PostAsync($"/emulator/containers/{hostname}/safe-validate", null);
        var pending = await _product.WaitForAsync(hostname, c => c.GetProperty("LoginStep").GetString() == "SafeValidatePending", "safe-validate pending");
        Assert.Equal(0, pending.GetProperty("Status").GetInt32());
        Assert.True(pending.GetProperty("Deadline").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        await _product.WorldClient.PostAsJsonAsync($"/emulator/containers/{hostname}/offline", new { status = 1 });
        await _product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 1, "offline");
        Assert.Equal("Offline", (await _product.HistoryAsync(hostname))[^1]);
    }

    [Fact]
    public async Task Stop_then_start_logs_in_again_without_a_scan()
    {
        var (hostname, wxId, _) = await _product.LoginAsync();
        await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/stop", new { hostname = new[] { hostname } });
        Assert.Equal(1, (await _product.ContainerAsync(hostname)).GetProperty("Status").GetInt32());
        await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/start", new { hostname = new[] { hostname } });
        var online = await _product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online again");
        Assert.Equal(wxId, online.GetProperty("wxId").GetString());
    }

    [Fact]
    public async Task Remove_drops_the_login_and_a_new_container_needs_a_scan()
    {
        var (hostname, wxId, corpId) = await _product.LoginAsync();
        await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/remove", new { hostname = new[] { hostname } });
        Assert.Equal(2, (await _product.ContainerAsync(hostname)).GetProperty("Status").GetInt32());
        var refused = await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/start", new { hostname = new[] { hostname } }, expected: HttpStatusCode.Conflict);
        Assert.Contains("create a new container", refused.GetProperty("msg").GetString());

        var (again, sameWxId, _) = await _product.LoginAsync(wxId, corpId);
        Assert.NotEqual(hostname, again);
        Assert.Equal(wxId, sameWxId);
    }

    [Fact]
    public async Task Restart_comes_back_online()
    {
        var (hostname, _, _) = await _product.LoginAsync();
        await _product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/restart", new { hostname = new[] { hostname } });
        await _product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online after restart");
        var history = await _product.HistoryAsync(hostname);
        Assert.Equal("Online", history[^1]);
        Assert.Equal("LoggingIn", history[^2]);
    }

    [Fact]
    public async Task A_login_waiting_for_its_verify_code_resumes_after_the_host_process_crashes()
    {
        // Crashes the class's host; the tests after it use the host started on the same database.
        var product = _product;
        var hostname = await product.CreateContainerAsync();
        await product.ScanAsync(hostname, requireVerify: true);
        await product.WaitForAsync(hostname, c => c.GetProperty("LoginStep").GetString() == "RequireVerify", "waiting for the verify code");

        await product.CrashAndRestartAsync();

        // A transition read before its write was durable comes back when the inbox delivers its callback again.
        await product.WaitForAsync(hostname, c => c.GetProperty("LoginStep").GetString() == "RequireVerify", "waiting for the verify code after the restart");
        var code = await product.WorldClient.GetFromJsonAsync<JsonElement>($"/emulator/containers/{hostname}/verify-code");
        var accepted = await product.Host.CallAsync(HttpMethod.Post, "/gnapi/open/container/verify",
            new { hostname, key = code.GetProperty("key").GetString(), code = code.GetProperty("code").GetString() });
        Assert.Equal(0, accepted.GetProperty("data").GetProperty("errcode").GetInt32());
        await product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online");
    }

    [Fact]
    public async Task An_expired_qr_code_moves_to_status_4_with_a_fresh_code_and_a_rescan_logs_in()
    {
        // QR codes of this test's container live 2 s; the emulator reads the option when it issues a code.
        var product = _product;
        product.World.Options.KeepSec = 2;
        try
        {
            var hostname = await product.CreateContainerAsync();
            var failed = await product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 4, "status 4", TimeSpan.FromSeconds(30));
            Assert.Equal($"/gnapi/open/container/{hostname}/qrcode", failed.GetProperty("QrCode").GetString());
            using (var qr = await product.Host.SendAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/qrcode"))
                Assert.Equal(HttpStatusCode.OK, qr.StatusCode);

            await product.ScanAsync(hostname, requireVerify: false);
            await product.WaitForAsync(hostname, c => c.GetProperty("Status").GetInt32() == 0, "online after the rescan");
            Assert.Contains("LoginFailedRescan", await product.HistoryAsync(hostname));
        }
        finally
        {
            product.World.Options.KeepSec = 600;
        }
    }
}

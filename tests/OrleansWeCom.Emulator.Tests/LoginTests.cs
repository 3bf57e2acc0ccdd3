using System.Net;
using System.Text.Json;

namespace OrleansWeCom.Emulator.Tests;

/// <summary>The QR login flow and the container life cycle of the seed.</summary>
public sealed class LoginTests
{
    [Fact]
    public async Task Scan_without_verify_goes_through_qr_status_0_1_2_then_user_login()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        var statuses = h.Receiver.OfType("qrcode_status_msg").Where(e => e.GetProperty("source").GetString() == login.Hostname)
            .Select(e => e.GetProperty("data").GetProperty("status").GetInt32());
        Assert.Equal([0, 1, 2], statuses);
        var list = await h.GetAsync($"/gnapi/open/inner/user/wx/list?HostName={login.Hostname}");
        Assert.Equal(0, list.GetProperty("data")[0].GetProperty("Status").GetInt32());
        Assert.Equal(login.WxId, list.GetProperty("data")[0].GetProperty("wxId").GetString());
    }

    [Fact]
    public async Task Wrong_verify_code_is_refused_and_the_right_one_logs_in()
    {
        await using var h = await Harness.StartAsync();
        var created = await h.PostAsync("/gnapi/open/container/create", new { userId = "apps-1" });
        var hostname = created.GetProperty("data").GetProperty("hostname").GetString()!;
        await h.PostAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = true });
        await h.Receiver.WaitForTypeAsync("qrcode_status_msg", hostname, e => e.GetProperty("data").GetProperty("status").GetInt32() == 10);
        var code = await h.GetAsync($"/emulator/containers/{hostname}/verify-code");
        var key = code.GetProperty("key").GetString()!;
        var right = code.GetProperty("code").GetString()!;
        var wrong = right == "000000" ? "111111" : "000000";

        var refused = await h.PostAsync("/gnapi/open/container/verify", new { hostname, key, code = wrong });
        Assert.True(refused.GetProperty("data").GetProperty("errcode").GetInt32() < 0);
        Assert.Empty(h.Receiver.OfType("user_login"));
        var waiting = await h.GetAsync($"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}");
        Assert.Equal(3, waiting.GetProperty("data")[0].GetProperty("Status").GetInt32());

        var accepted = await h.PostAsync("/gnapi/open/container/verify", new { hostname, key, code = right });
        Assert.Equal(0, accepted.GetProperty("data").GetProperty("errcode").GetInt32());
        Assert.Equal("ok", accepted.GetProperty("data").GetProperty("errmsg").GetString());
        await h.Receiver.WaitForTypeAsync("user_login", hostname);
        var (again, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/container/verify", new { hostname, key, code = right });
        Assert.Equal(HttpStatusCode.Conflict, again);
    }

    [Fact]
    public async Task Unused_qr_code_expires_after_keep_sec_into_status_4_with_a_fresh_code()
    {
        await using var h = await Harness.StartAsync(o => o.KeepSec = 600, fakeTime: true);
        var created = await h.PostAsync("/gnapi/open/container/create", new { userId = "apps-1" });
        var hostname = created.GetProperty("data").GetProperty("hostname").GetString()!;
        var firstCode = created.GetProperty("data").GetProperty("qrcode").GetString();

        h.Time!.Advance(TimeSpan.FromSeconds(599));
        var before = await h.GetAsync($"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}");
        Assert.Equal(3, before.GetProperty("data")[0].GetProperty("Status").GetInt32());

        h.Time.Advance(TimeSpan.FromSeconds(1));
        var after = (await h.GetAsync($"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}")).GetProperty("data")[0];
        Assert.Equal(4, after.GetProperty("Status").GetInt32());
        var fresh = after.GetProperty("QrCode").GetString();
        Assert.NotNull(fresh);
        Assert.NotEqual(firstCode, fresh);
        Assert.Equal(HttpStatusCode.OK, (await h.Http.GetAsync(fresh)).StatusCode);

        await h.PostAsync($"/emulator/containers/{hostname}/scan", new { requireVerify = false });
        await h.Receiver.WaitForTypeAsync("user_login", hostname);
    }

    [Fact]
    public async Task Stop_and_start_keep_the_login_remove_drops_it_restart_comes_back_online()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        async Task<int> Status() => (await h.GetAsync($"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={login.Hostname}")).GetProperty("data")[0].GetProperty("Status").GetInt32();
        var hostnames = new { hostname = new[] { login.Hostname } };

        Assert.Equal(JsonValueKind.Null, (await h.PostAsync("/gnapi/open/container/stop", hostnames)).GetProperty("data").ValueKind);
        Assert.Equal(1, await Status());
        var (sendWhileStopped, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/msg/text", new { wxId = login.WxId, conversationId = login.Conversation, content = "x" });
        Assert.Equal(HttpStatusCode.Conflict, sendWhileStopped);

        await h.PostAsync("/gnapi/open/container/start", hostnames);
        Assert.Equal(0, await Status());
        await Eventually.TrueAsync(() => h.Receiver.OfType("user_login").Length == 2, "a second user_login after start");

        await h.PostAsync("/gnapi/open/container/restart", hostnames);
        Assert.Equal(0, await Status());
        await Eventually.TrueAsync(() => h.Receiver.OfType("user_login").Length == 3, "a third user_login after restart");

        await h.PostAsync("/gnapi/open/container/remove", hostnames);
        Assert.Equal(2, await Status());
        var (start, body) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/container/start", hostnames);
        Assert.Equal(HttpStatusCode.Conflict, start);
        Assert.NotEqual(0, body.GetProperty("code").GetInt32());

        // The account is free again: a new container can log in as it.
        var again = await h.LoginAsync(wxId: login.WxId);
        Assert.Equal(login.WxId, again.WxId);
    }

    [Fact]
    public async Task Offline_posts_user_offline_and_the_status_asked_for()
    {
        await using var h = await Harness.StartAsync();
        var login = await h.LoginAsync();
        await h.PostAsync($"/emulator/containers/{login.Hostname}/offline", new { status = 4 });
        var offline = await h.Receiver.WaitForTypeAsync("user_offline", login.Hostname);
        Assert.Equal(JsonValueKind.Null, offline.GetProperty("data").ValueKind);
        var row = (await h.GetAsync($"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={login.Hostname}")).GetProperty("data")[0];
        Assert.Equal(4, row.GetProperty("Status").GetInt32());
        Assert.StartsWith("/gnapi/files/", row.GetProperty("QrCode").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_hostname_is_404_and_the_apikey_is_enforced_when_configured()
    {
        await using var h = await Harness.StartAsync(o => o.ApiKey = "secret");
        var (missing, _) = await h.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/list");
        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        h.Http.DefaultRequestHeaders.Add("apikey", "secret");
        var (ok, _) = await h.CallAsync(HttpMethod.Get, "/gnapi/open/inner/user/list");
        Assert.Equal(HttpStatusCode.OK, ok);
        var (unknown, _) = await h.CallAsync(HttpMethod.Post, "/gnapi/open/container/stop", new { hostname = new[] { "nosuchhost" } });
        Assert.Equal(HttpStatusCode.NotFound, unknown);
    }
}

using System.Net;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.Host;

[Collection(OrleansWeCom.Tests.Infrastructure.HostProcessCollection.Name)]
public sealed class HostRestartTests
{
    [Fact]
    public async Task State_written_on_sqlite_survives_a_crash_of_the_host_process()
    {
        var data = Path.Combine(Path.GetTempPath(), "wecom-restart-" + Guid.NewGuid().ToString("N"));
        string hostname, tenantKey;
        await using (var first = new HostProcess(data))
        {
            await first.StartAsync();
            await first.CallAsync(HttpMethod.Post, "/admin/tenants", new { id = "acme", name = "Acme" }, apiKey: HostProcess.AdminApiKey);
            await first.CallAsync(HttpMethod.Post, "/admin/tenants/acme/users", new { userId = "apps-acme" }, apiKey: HostProcess.AdminApiKey);
            tenantKey = (await first.CallAsync(HttpMethod.Post, "/admin/tenants/acme/apikeys", new { }, apiKey: HostProcess.AdminApiKey))
                .GetProperty("data").GetProperty("apiKey").GetString()!;
            hostname = (await first.CallAsync(HttpMethod.Post, "/gnapi/open/container/create", new { userId = "apps-acme" }, apiKey: tenantKey))
                .GetProperty("data").GetProperty("hostname").GetString()!;
            await first.KillAsync();
        }

        await using var second = new HostProcess(data);
        await second.StartAsync();
        var list = await second.CallAsync(HttpMethod.Get, $"/gnapi/open/inner/user/wx/list?IsOnline=false&HostName={hostname}", apiKey: tenantKey);
        var item = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal("apps-acme", item.GetProperty("userId").GetString());
        Assert.Equal(3, item.GetProperty("Status").GetInt32());
        var history = await second.CallAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/history", apiKey: tenantKey);
        Assert.Equal("LoggingIn/WaitingForScan", history.GetProperty("data")[0].GetProperty("to").GetString());
        // The demo tenant cannot see Acme's container after the restart either.
        await second.CallAsync(HttpMethod.Get, $"/gnapi/open/container/{hostname}/history", expected: HttpStatusCode.NotFound);
        await second.KillAsync();
        Directory.Delete(data, recursive: true);
    }
}

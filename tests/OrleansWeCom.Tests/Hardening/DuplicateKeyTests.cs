using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 8: a JSON object naming one property twice answers 400 on every route that reads one, not 500.</summary>
public sealed class DuplicateKeyTests
{
    [Theory]
    [InlineData("PUT", "contact/remark", """{"wxId":"1688854355260001","wxId":"1688854355260002","remark":"r"}""")]
    [InlineData("PUT", "contact/remark", """{"wxId":"1688854355260001","WXID":"1688854355260002","remark":"r"}""")]
    [InlineData("POST", "contact/remove", """{"a":{"b":1,"b":2}}""")]
    public async Task Finding8_duplicate_keys_on_directory_routes_answer_400(string method, string path, string body)
    {
        await using var host = await CallbackTestHost.StartAsync();
        var tenant = await TenantAsync(host, "t1");
        using var request = new HttpRequestMessage(new HttpMethod(method), "/gnapi/open/" + path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await tenant.SendAsync(request);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {error}");
        Assert.Contains("twice", error.GetProperty("msg").GetString());
    }
}

using Xunit.Abstractions;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>
/// The HTTP fuzz run, short: every route and method of the running host, with malformed JSON, wrong types, huge and deep
/// bodies, duplicate keys, bad UTF-8 and random ids. No answer may be a server error (501 for a seed feature the host has
/// no call for and 502 from the stub hosts, which refuse every call, are answers by design).
/// </summary>
public sealed class HttpFuzzTests(ITestOutputHelper output)
{
    private const string W = "1688854355260001";

    /// <summary>WECOM_HTTP_FUZZ_REQUESTS and WECOM_HTTP_FUZZ_SEED make a longer run of the same test.</summary>
    [Fact]
    public async Task Two_thousand_malformed_requests_get_no_server_error()
    {
        await using var host = await CallbackTestHost.StartAsync();
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);
        var routes = Routes(host.Services);
        Assert.True(routes.Count > 40, $"only {routes.Count} routes found");

        var requests = int.TryParse(Environment.GetEnvironmentVariable("WECOM_HTTP_FUZZ_REQUESTS"), out var n) ? n : 2000;
        var random = new Random(int.TryParse(Environment.GetEnvironmentVariable("WECOM_HTTP_FUZZ_SEED"), out var seed) ? seed : 18);
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < requests; i++)
        {
            var (method, pattern) = routes[random.Next(routes.Count)];
            if (random.Next(10) == 0) method = new[] { "GET", "POST", "PUT", "DELETE", "PATCH" }[random.Next(5)];
            var path = Fill(pattern, random);
            using var request = new HttpRequestMessage(new HttpMethod(method), path + Query(random));
            if (method != "GET" || random.Next(4) == 0)
            {
                var body = HttpFuzz.Body(random);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", random.Next(8) == 0 ? "text/plain" : "application/json");
            }

            var size = request.Content?.Headers.ContentLength ?? 0;
            HttpResponseMessage response;
            try
            {
                // Headers only: a stream (the event stream) answers at once and never ends its body.
                response = await (random.Next(20) == 0 ? host.Http : tenant).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            }
            catch (HttpRequestException e) when (size > 1024 * 1024 && e.InnerException is IOException)
            {
                // A body over the limit is answered 413 before it is read; the client may then fail to write the rest.
                statuses[413] = statuses.GetValueOrDefault(413) + 1;
                continue;
            }

            using var _ = response;
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500 && status is not (501 or 502))
                failures.Add($"{status} {method} {path}: {await response.Content.ReadAsStringAsync()}");
        }

        output.WriteLine($"HTTP fuzz: {requests} requests, {failures.Count} server errors; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
        Assert.True(failures.Count == 0, $"{failures.Count} server errors; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}\n{string.Join("\n", failures.Take(10))}");
    }

    /// <summary>Every route the host maps, with its methods.</summary>
    private static List<(string Method, string Pattern)> Routes(IServiceProvider services) =>
        services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(r => !r.Item2.StartsWith("/admin/dashboard", StringComparison.Ordinal))
            .Distinct().ToList();

    private static string Fill(string pattern, Random random) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", _ => Uri.EscapeDataString(HttpFuzz.Id(random)));

    private static string Query(Random random)
    {
        if (random.Next(2) == 0) return "";
        var names = new[] { "wxId", "conversationId", "msgId", "hostname", "limit", "path", "roomId", "token", "page", "collect" };
        return "?" + string.Join("&", Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
            $"{names[random.Next(names.Length)]}={Uri.EscapeDataString(random.Next(3) == 0 ? W : HttpFuzz.Id(random))}"));
    }
}

/// <summary>Malformed inputs of the kinds a client gets wrong, and a few an attacker would try.</summary>
internal static class HttpFuzz
{
    private const string W = "1688854355260001";

    public static string Id(Random random) => random.Next(8) switch
    {
        0 => W,
        1 => new string('9', random.Next(30, 300)),
        2 => "S:" + W + "_7881300839070001",
        3 => "../../etc/passwd",
        4 => "R:" + random.NextInt64(),
        5 => "%00\u0000\uffff",
        6 => "",
        _ => Guid.NewGuid().ToString(),
    };

    public static byte[] Body(Random random)
    {
        string Value() => random.Next(9) switch
        {
            0 => "null",
            1 => "true",
            2 => random.NextInt64().ToString(),
            3 => "1e400",
            4 => "[1,\"a\",{}]",
            5 => "{\"x\":{}}",
            6 => "\"" + W + "\"",
            7 => "\"" + new string('x', random.Next(0, 5000)) + "\"",
            _ => "\"S:" + W + "_7881300839070001\"",
        };
        var names = new[] { "wxId", "WXID", "conversationId", "content", "hostname", "userId", "code", "fileUrl", "atList", "url", "title", "ContactInfos", "msgIds", "secret" };
        switch (random.Next(10))
        {
            case 0:
                var bytes = new byte[random.Next(1, 512)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                return [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]; // {"a":"<bad UTF-8>"}
            case 2:
                var depth = random.Next(60, 3000);
                return Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
            case 3:
                return Encoding.UTF8.GetBytes("{\"wxId\":\"" + W + "\",\"content\":\"" + new string('a', random.Next(900_000, 1_200_000)) + "\"}");
            case 4:
                return Encoding.UTF8.GetBytes("{\"wxId\":\"" + W + "\",\"wxId\":\"" + W + "\"}");
            case 5:
                return Encoding.UTF8.GetBytes("{\"wxId\":" + Value() + ",\"conversationId\":" + Value());
            default:
                var members = Enumerable.Range(0, random.Next(0, 6)).Select(_ => $"\"{names[random.Next(names.Length)]}\":{Value()}");
                return Encoding.UTF8.GetBytes("{" + string.Join(",", members) + "}");
        }
    }
}

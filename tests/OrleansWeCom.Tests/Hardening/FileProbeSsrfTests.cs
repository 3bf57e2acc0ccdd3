using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Tests.Callbacks;
using static OrleansWeCom.Tests.Hardening.Hardening;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 4: the gif/video size probe fetches a URL a tenant chose, so it must not reach our own networks.</summary>
public sealed class FileProbeSsrfTests
{
    private const string W = "1688854355260001";

    /// <summary>A real server on loopback that counts what reaches it; it may answer with a redirect.</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private Target(WebApplication app) => _app = app;

        public int Requests => Volatile.Read(ref _requests);
        public string Url(string path) => _app.Urls.Single() + path;

        public static async Task<Target> StartAsync(string? redirectTo = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var target = new Target(app);
            app.Run(context =>
            {
                Interlocked.Increment(ref target._requests);
                if (redirectTo is not null) context.Response.Redirect(redirectTo);
                else context.Response.ContentLength = 10L * 1024 * 1024;
                return Task.CompletedTask;
            });
            await app.StartAsync();
            return target;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static Task<CallbackTestHost> StartAsync(bool allowLoopback) => CallbackTestHost.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Gateway:FileProbe:AllowLoopback"] = allowLoopback ? "true" : "false",
    });

    private static object Gif(string url, string conversationId = $"S:{W}_7881300839070001") => new { wxId = W, conversationId, fileUrl = url };

    [Fact]
    public async Task Finding4_a_gif_on_loopback_or_a_metadata_address_is_refused_without_a_request()
    {
        await using var target = await Target.StartAsync();
        await using var host = await StartAsync(allowLoopback: false);
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);

        foreach (var (url, why) in new[]
                 {
                     (target.Url("/big.gif"), "loopback"),
                     (target.Url("/big.gif").Replace("127.0.0.1", "localhost"), "loopback"),
                     ("http://169.254.169.254/latest/meta-data/x.gif", "private"),
                     ("http://[::ffff:10.0.0.1]/x.gif", "private"),
                     ("http://[2002:7f00:1::]/x.gif", "cannot be reached"),
                 })
        {
            var (status, error) = await PostAsync(tenant, "msg/gif", Gif(url));
            Assert.True(status == HttpStatusCode.BadRequest, $"{url}: {status} {error}");
            Assert.Equal(ErrorCodes.BadRequest, error.GetProperty("code").GetInt32());
            Assert.Contains(why, error.GetProperty("msg").GetString());
            // The refusal names no resolved address.
            if (url.Contains("localhost")) Assert.DoesNotContain("127.0.0.1", error.GetProperty("msg").GetString());
        }

        Assert.Equal(0, target.Requests);
    }

    [Fact]
    public async Task Finding4_a_bad_send_is_refused_before_its_file_is_looked_at()
    {
        await using var target = await Target.StartAsync();
        await using var host = await StartAsync(allowLoopback: true);
        var tenant = await TenantAsync(host, "t1");

        var (status, _) = await PostAsync(tenant, "msg/video", Gif(target.Url("/v.mp4"), conversationId: "not a conversation"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(0, target.Requests);

        // Allowed and well-formed, the probe asks, learns the size, and the limit applies.
        await LoginAsync(host, "t1", "c-1", W);
        var (big, error) = await PostAsync(tenant, "msg/gif", Gif(target.Url("/big.gif")));
        Assert.Equal(HttpStatusCode.BadRequest, big);
        Assert.Contains("msg/file", error.GetProperty("msg").GetString());
        Assert.True(target.Requests >= 1);
    }

    [Fact]
    public async Task Finding4_a_redirect_from_the_file_url_is_not_followed()
    {
        await using var inner = await Target.StartAsync();
        await using var outer = await Target.StartAsync(redirectTo: inner.Url("/secret.gif"));
        await using var host = await StartAsync(allowLoopback: true);
        var tenant = await TenantAsync(host, "t1");
        await LoginAsync(host, "t1", "c-1", W);

        var (status, body) = await PostAsync(tenant, "msg/gif", Gif(outer.Url("/x.gif")));
        Assert.True(status == HttpStatusCode.OK, $"{status} {body}");
        Assert.True(outer.Requests >= 1);
        Assert.Equal(0, inner.Requests);
    }
}

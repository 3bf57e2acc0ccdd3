using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrleansWeCom.Tests.ContainerHost;

/// <summary>A request as the stub host received it; <see cref="Path"/> is relative to <c>/gnapi/open/</c>.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ApiKey, string? ContentType, string Body);

/// <summary>What the stub answers; <see cref="Delay"/> holds the answer back.</summary>
public sealed record StubResponse(int Status, string Body, TimeSpan Delay = default)
{
    public static StubResponse Ok(string dataJson = "null") => new(200, $$"""{"msg":"","code":0,"data":{{dataJson}}}""");

    public static StubResponse Http(HttpStatusCode status) => new((int)status, "");
}

/// <summary>A real Kestrel server on a free loopback port playing a container host's openAPI.</summary>
public sealed class StubContainerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, Func<int, RecordedRequest, StubResponse>> _routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.OrdinalIgnoreCase);

    private StubContainerHost(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public static async Task<StubContainerHost> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubContainerHost(app);
        app.Run(stub.HandleAsync);
        await app.StartAsync();
        stub.BaseUrl = app.Urls.Single();
        return stub;
    }

    /// <summary>Answers <paramref name="path"/>; the function gets the 1-based attempt number of that path.</summary>
    public StubContainerHost On(string path, Func<int, StubResponse> respond)
    {
        _routes[path] = (attempt, _) => respond(attempt);
        return this;
    }

    public StubContainerHost On(string path, StubResponse response) => On(path, _ => response);

    /// <summary>How many requests reached <paramref name="path"/>.</summary>
    public int Count(string path) => _counts.GetValueOrDefault(path);

    public RecordedRequest Last(string path) => _requests.Last(r => string.Equals(r.Path, path, StringComparison.OrdinalIgnoreCase));

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var path = context.Request.Path.Value ?? "";
        const string root = "/gnapi/open/";
        path = path.StartsWith(root, StringComparison.OrdinalIgnoreCase) ? path[root.Length..] : "!" + path;
        var request = new RecordedRequest(
            context.Request.Method, path, context.Request.QueryString.Value ?? "",
            context.Request.Headers["apikey"].FirstOrDefault(), context.Request.ContentType, body);
        _requests.Enqueue(request);
        var attempt = _counts.AddOrUpdate(path, 1, (_, n) => n + 1);

        var response = _routes.TryGetValue(path, out var respond) ? respond(attempt, request) : StubResponse.Ok();
        if (response.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(response.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = response.Status;
        if (response.Body.Length > 0)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(response.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

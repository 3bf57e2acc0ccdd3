using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.ContainerHost;
using OrleansWeCom.ContainerHost.Api;
using static OrleansWeCom.Tests.ContainerHost.ContainerHostTestServices;

namespace OrleansWeCom.Tests.ContainerHost;

public sealed class ContainerHostResilienceTests
{
    private static readonly TextMessage Text = new() { WxId = "1688850000000001", ConversationId = "S:1688850000000001_7881300000000001", Content = "hi" };

    [Fact]
    public async Task Lifecycle_call_retries_on_503_then_succeeds()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("container/stop", attempt => attempt <= 2 ? StubResponse.Http(HttpStatusCode.ServiceUnavailable) : StubResponse.Ok());
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var response = await services.Registry().Get("a").StopContainerAsync(HostNamesRequest.Of("62a1263f977c"));

        Assert.Equal(0, response.Code);
        Assert.Equal(3, stub.Count("container/stop"));
    }

    [Fact]
    public async Task Query_retries_after_a_timeout()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("inner/user/list", attempt => attempt == 1 ? StubResponse.Ok("[]") with { Delay = TimeSpan.FromSeconds(5) } : StubResponse.Ok("[]"));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl, h => h.Timeout = TimeSpan.FromMilliseconds(300)));

        var response = await services.Registry().Get("a").GetHostUsersAsync();

        Assert.Empty(response.Data!);
        Assert.Equal(2, stub.Count("inner/user/list"));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Client_error_is_not_retried(HttpStatusCode status)
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("container/restart", StubResponse.Http(status));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var error = await Assert.ThrowsAsync<ContainerHostException>(() => services.Registry().Get("a").RestartContainerAsync(HostNamesRequest.Of("h1")));

        Assert.Equal(ContainerHostErrorKind.HttpError, error.Kind);
        Assert.Equal(status, error.HttpStatus);
        Assert.False(error.IsTransient);
        Assert.Equal("a", error.HostName);
        Assert.Equal("container/restart", error.Path);
        Assert.Equal(1, stub.Count("container/restart"));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task Send_is_not_retried_after_a_5xx(HttpStatusCode status)
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("msg/text", StubResponse.Http(status));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl));

        var error = await Assert.ThrowsAsync<ContainerHostException>(() => services.Registry().Get("a").SendTextAsync(Text));

        Assert.Equal(status, error.HttpStatus);
        Assert.True(error.IsTransient);
        Assert.True(error.MayHaveReachedHost);
        Assert.Equal(1, stub.Count("msg/text"));
    }

    [Fact]
    public async Task Send_is_not_retried_after_a_timeout()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("msg/image", StubResponse.Ok("""{"msgId":"late"}""") with { Delay = TimeSpan.FromSeconds(5) });
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl, h => h.Timeout = TimeSpan.FromMilliseconds(300)));

        var error = await Assert.ThrowsAsync<ContainerHostException>(() => services.Registry().Get("a").SendImageAsync(
            new FileMessage { WxId = Text.WxId, ConversationId = Text.ConversationId, FileUrl = "http://x/a.jpg" }));

        Assert.Equal(ContainerHostErrorKind.Timeout, error.Kind);
        Assert.True(error.MayHaveReachedHost);
        Assert.Equal(1, stub.Count("msg/image"));
    }

    [Fact]
    public async Task Connection_refused_is_retried_even_for_a_send()
    {
        var attempts = 0;
        await using var services = Build(
            extra: s => s.AddHttpClient(ContainerHostServiceCollectionExtensions.HttpClientName("down"))
                .AddHttpMessageHandler(() => new CountingHandler(() => Interlocked.Increment(ref attempts))),
            hosts: HostAt("down", RefusingUrl(), h => h.RetryCount = 2));
        var api = services.Registry().Get("down");

        var send = await Assert.ThrowsAsync<ContainerHostException>(() => api.SendTextAsync(Text));
        Assert.Equal(ContainerHostErrorKind.Unreachable, send.Kind);
        Assert.False(send.MayHaveReachedHost);
        Assert.Equal(3, attempts);

        var start = await Assert.ThrowsAsync<ContainerHostException>(() => api.StartContainerAsync(HostNamesRequest.Of("h1")));
        Assert.Equal(ContainerHostErrorKind.Unreachable, start.Kind);
        Assert.Equal(6, attempts);
    }

    [Fact]
    public async Task Circuit_opens_after_repeated_failures_short_circuits_and_closes_after_the_break()
    {
        await using var stub = await StubContainerHost.StartAsync();
        var healthy = false;
        stub.On("container/memory", _ => healthy ? StubResponse.Ok("[]") : StubResponse.Http(HttpStatusCode.InternalServerError));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = Build(time, hosts: HostAt("a", stub.BaseUrl, h =>
        {
            h.RetryCount = 0;
            h.CircuitMinimumThroughput = 3;
            h.CircuitFailureRatio = 0.5;
            h.CircuitSamplingDuration = TimeSpan.FromSeconds(30);
            h.CircuitBreakDuration = TimeSpan.FromSeconds(10);
        }));
        var registry = services.Registry();
        var api = registry.Get("a");

        for (var i = 0; i < 3; i++)
            Assert.Equal(ContainerHostErrorKind.HttpError, (await Assert.ThrowsAsync<ContainerHostException>(() => api.GetContainerMemoryAsync())).Kind);
        Assert.False(registry.IsAvailable("a"));

        // Open: neither queries nor sends reach the host, and a send learns it was not delivered.
        healthy = true;
        var rejected = await Assert.ThrowsAsync<ContainerHostException>(() => api.GetContainerMemoryAsync());
        Assert.Equal(ContainerHostErrorKind.CircuitOpen, rejected.Kind);
        var send = await Assert.ThrowsAsync<ContainerHostException>(() => api.SendTextAsync(Text));
        Assert.Equal(ContainerHostErrorKind.CircuitOpen, send.Kind);
        Assert.False(send.MayHaveReachedHost);
        Assert.Equal(3, stub.Count("container/memory"));
        Assert.Equal(0, stub.Count("msg/text"));

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(0, (await api.GetContainerMemoryAsync()).Code);
        Assert.True(registry.IsAvailable("a"));
        Assert.Equal(0, (await api.SendTextAsync(Text)).Code);
        Assert.Equal(4, stub.Count("container/memory"));
    }

    [Fact]
    public async Task Four_xx_answers_do_not_open_the_circuit()
    {
        await using var stub = await StubContainerHost.StartAsync();
        stub.On("container/memory", StubResponse.Http(HttpStatusCode.BadRequest));
        await using var services = Build(hosts: HostAt("a", stub.BaseUrl, h =>
        {
            h.CircuitMinimumThroughput = 2;
            h.CircuitBreakDuration = TimeSpan.FromSeconds(10);
        }));
        var api = services.Registry().Get("a");

        for (var i = 0; i < 5; i++)
            await Assert.ThrowsAsync<ContainerHostException>(() => api.GetContainerMemoryAsync());

        Assert.True(services.Registry().IsAvailable("a"));
        Assert.Equal(5, stub.Count("container/memory"));
    }

    private sealed class CountingHandler(Action onAttempt) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            onAttempt();
            return base.SendAsync(request, cancellationToken);
        }
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Host.Hosting;

namespace OrleansWeCom.Tests.Infrastructure;

/// <summary>
/// A silo with the gateway in one process on real Kestrel, wired as the host wires it (<c>AddWeComSilo</c>,
/// <c>AddWeComGateway</c>, <c>MapWeCom</c>); a test host gives it configuration and the fakes of the outside world.
/// </summary>
public abstract class WeComTestApp : IAsyncDisposable
{
    protected WeComTestApp(WebApplication app, string databaseFile)
    {
        App = app;
        DatabaseFile = databaseFile;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address) };
    }

    protected WebApplication App { get; }

    public string DatabaseFile { get; }
    public HttpClient Http { get; }
    public IGrainFactory Grains => App.Services.GetRequiredService<IGrainFactory>();
    public IServiceProvider Services => App.Services;

    /// <summary>Starts the app on a free loopback port with <paramref name="settings"/>; <paramref name="fakes"/> registers last, so it wins.</summary>
    protected static async Task<WebApplication> StartAppAsync(IDictionary<string, string?> settings, Action<IServiceCollection> fakes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var configured = new Dictionary<string, string?>(settings);
        configured.TryAdd(TestDashboard.Setting, "false");
        builder.Configuration.AddInMemoryCollection(configured);
        builder.AddWeComSilo();
        builder.AddWeComGateway();
        fakes(builder.Services);
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapWeCom();
        await app.StartAsync();
        return app;
    }

    /// <summary>Creates a tenant and returns a client that carries its apikey.</summary>
    public async Task<HttpClient> TenantClientAsync(string tenant)
    {
        await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync(tenant);
        var key = await Grains.GetGrain<ITenantGrain>(tenant).IssueApiKeyAsync(null);
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Add(TenantAuthenticator.HeaderName, key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>
/// The Orleans Dashboard costs about a second of CPU at every silo start (two seconds of wall time on two cores); test
/// hosts start without it unless a test of the dashboard asks for it.
/// </summary>
public static class TestDashboard
{
    public const string Setting = "Dashboard:Enabled";

    public static Dictionary<string, string?> WithoutDashboard(this Dictionary<string, string?> settings)
    {
        settings[Setting] = "false";
        return settings;
    }
}

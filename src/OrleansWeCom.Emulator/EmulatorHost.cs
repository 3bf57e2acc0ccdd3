using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OrleansWeCom.Emulator.Callbacks;
using OrleansWeCom.Emulator.Core;
using OrleansWeCom.Emulator.Endpoints;

namespace OrleansWeCom.Emulator;

/// <summary>The container-host emulator running on Kestrel: the seed's <c>/gnapi/open</c> API, its callbacks, and <c>/emulator</c> control.</summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorState _state;

    private EmulatorHost(WebApplication app, EmulatorState state, Uri baseAddress)
    {
        _app = app;
        _state = state;
        BaseAddress = baseAddress;
    }

    /// <summary>The address Kestrel actually bound (the real port when started on port 0).</summary>
    public Uri BaseAddress { get; }

    public EmulatorOptions Options => _state.Options;

    public static Task<EmulatorHost> StartAsync(EmulatorOptions options, string url, CancellationToken ct = default) =>
        StartAsync(options, url, TimeProvider.System, ct);

    /// <summary>Starts an emulator on <paramref name="url"/> (e.g. <c>http://127.0.0.1:0</c>) whose WeCom time comes from <paramref name="timeProvider"/>.</summary>
    public static async Task<EmulatorHost> StartAsync(EmulatorOptions options, string url, TimeProvider timeProvider, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EmulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Embedded in another process, the emulator must not pick up that process's configuration (Kestrel endpoints, URLs).
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 256L * 1024 * 1024);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System", LogLevel.Warning);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form => form.MultipartBodyLengthLimit = 256L * 1024 * 1024);
        var app = builder.Build();

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansWeCom.Emulator");
        var faults = new FaultState(timeProvider);
        var callbacks = new CallbackDispatcher(options.Callbacks, faults, logger);
        var files = new FileStore(options.FilesRoot, timeProvider);
        var state = new EmulatorState(options, timeProvider, callbacks, files, faults);
        EmulatorApi.Map(app, state, logger);

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            await callbacks.DisposeAsync();
            state.Dispose();
            files.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmulatorHost(app, state, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>Points callbacks at <paramref name="url"/> (kept as given) with a share of duplicates in 0..1.</summary>
    public void SetCallbacks(string url, double duplicateRate) => _state.Callbacks.SetTarget(url, duplicateRate);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _state.Callbacks.DisposeAsync();
        _state.Dispose();
        _state.Files.Dispose();
    }
}

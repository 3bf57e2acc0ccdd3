using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OrleansWeCom.Emulator;

namespace OrleansWeCom.Host.Hosting;

/// <summary>Runs the container-host emulator inside the host process and points its callbacks at our gateway.</summary>
public sealed partial class EmbeddedEmulator(
    EmulatorOptions options,
    string url,
    string callbackToken,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<EmbeddedEmulator> logger) : IHostedService, IAsyncDisposable
{
    private EmulatorHost? _emulator;

    public Uri? BaseAddress => _emulator?.BaseAddress;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _emulator = await EmulatorHost.StartAsync(options, url, cancellationToken);
        LogStarted(logger, _emulator.BaseAddress);
        // The gateway's address is known once Kestrel listens.
        lifetime.ApplicationStarted.Register(() =>
        {
            var gateway = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (gateway is null) return;
            var callbackUrl = $"{gateway.TrimEnd('/').Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1")}/callbacks/emulator?token={Uri.EscapeDataString(callbackToken)}";
            _emulator.SetCallbacks(callbackUrl, options.Callbacks.DuplicateRate);
            LogCallbacks(logger, callbackUrl.Split('?')[0]);
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_emulator is { } emulator)
        {
            _emulator = null;
            await emulator.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Container-host emulator listening on {Address}")]
    private static partial void LogStarted(ILogger logger, Uri address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Emulator callbacks go to {Url}")]
    private static partial void LogCallbacks(ILogger logger, string url);
}

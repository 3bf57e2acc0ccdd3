using System.Net;
using System.Net.Sockets;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Server;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>
/// The broker's TCP listener in place of MQTTnet's, so that every connection's bytes pass <see cref="MqttPacketSizeGuard"/>
/// (MQTTnet 5's server has no bound on a packet's size). It listens on the default endpoint's one address and port.
/// </summary>
internal sealed class GuardedTcpListener(int maxConnectBytes, int maxPacketBytes) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private TcpListener? _listener;
    private Task? _accepting;

    public void Start(MqttServerOptions options, IMqttNetLogger logger, Func<IMqttChannelAdapter, Task> handler)
    {
        var endpoint = options.DefaultEndpointOptions;
        var address = Equals(endpoint.BoundInterNetworkAddress, IPAddress.None) ? endpoint.BoundInterNetworkV6Address : endpoint.BoundInterNetworkAddress;
        _listener = new TcpListener(address, endpoint.Port);
        _listener.Start();
        _accepting = Task.Run(() => AcceptAsync(_listener, logger, handler, _stopping.Token));
    }

    private async Task AcceptAsync(TcpListener listener, IMqttNetLogger logger, Func<IMqttChannelAdapter, Task> handler, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => ServeAsync(socket, logger, handler), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket socket, IMqttNetLogger logger, Func<IMqttChannelAdapter, Task> handler)
    {
        try
        {
            socket.NoDelay = true;
            var stream = new NetworkStream(socket, ownsSocket: true);
            var channel = new MqttPacketSizeGuard(new MqttTcpChannel(stream, socket.LocalEndPoint!, socket.RemoteEndPoint!, null!), maxConnectBytes, maxPacketBytes);
            using var adapter = new MqttChannelAdapter(channel, new MqttPacketFormatterAdapter(new MqttBufferWriter(4096, 65535)), logger);
            await handler(adapter);
        }
        catch (Exception)
        {
            // The connection failed or was cut (a packet over its bound included); MQTTnet has logged it.
        }
        finally
        {
            socket.Dispose();
        }
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        _listener?.Stop();
        if (_accepting is not null) await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener?.Stop();
        _stopping.Dispose();
    }
}

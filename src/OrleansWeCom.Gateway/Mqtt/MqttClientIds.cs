using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Server;
using MQTTnet.Server.Internal.Adapter;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>Client ids the broker assigns to clients that connect without one (MQTT 3.1.1 §3.1.3-6, MQTT 5 §3.1.3.1).</summary>
public static class MqttClientIds
{
    /// <summary>Assigned ids start so; a client may use the prefix itself, the rest is random enough never to meet it.</summary>
    public const string AssignedPrefix = "auto-";

    public static string NewAssigned() => AssignedPrefix + Guid.NewGuid().ToString("N");
}

/// <summary>
/// The TCP listener (<see cref="GuardedTcpListener"/>, which bounds packet sizes), giving an MQTT 3.x client that connects with an empty client id and a clean session an id of its
/// own before the broker validates the CONNECT. MQTTnet assigns ids to MQTT 5 clients only (returned in the CONNACK, see
/// <see cref="WeComMqttServer"/>); a 3.1.1 client is not told its id, which the protocol allows. An empty id with a
/// persistent session stays empty, and the broker refuses it as the protocol says.
/// </summary>
internal sealed class ClientIdAssigningServerAdapter(int maxConnectBytes, int maxPacketBytes) : IMqttServerAdapter
{
    private readonly GuardedTcpListener _tcp = new(maxConnectBytes, maxPacketBytes);

    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        _tcp.Start(options, logger, channel => ClientHandler?.Invoke(new Channel(channel)) ?? Task.CompletedTask);
        return Task.CompletedTask;
    }

    public Task StopAsync() => _tcp.StopAsync();

    public void Dispose() => _tcp.Dispose();

    /// <summary>A connection whose first packet, the CONNECT, may get an assigned id.</summary>
    private sealed class Channel(IMqttChannelAdapter inner) : IMqttChannelAdapter
    {
        private bool _first = true;

        public long BytesReceived => inner.BytesReceived;
        public long BytesSent => inner.BytesSent;
        public X509Certificate2 ClientCertificate => inner.ClientCertificate;
        public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
        public EndPoint LocalEndPoint => inner.LocalEndPoint;
        public bool IsSecureConnection => inner.IsSecureConnection;
        public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

        public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

        public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

        public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
        {
            var packet = await inner.ReceivePacketAsync(cancellationToken);
            if (_first && packet is MqttConnectPacket { ClientId: null or "", CleanSession: true } connect
                && inner.PacketFormatterAdapter.ProtocolVersion != MqttProtocolVersion.V500)
            {
                connect.ClientId = MqttClientIds.NewAssigned();
            }

            _first = false;
            return packet;
        }

        public void ResetStatistics() => inner.ResetStatistics();

        public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken) => inner.SendPacketAsync(packet, cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}

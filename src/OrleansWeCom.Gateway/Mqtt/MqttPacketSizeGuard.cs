using System.Buffers;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet.Channel;

namespace OrleansWeCom.Gateway.Mqtt;

/// <summary>
/// A connection's bytes on their way to MQTTnet, read through a watch on the packets' fixed headers: a packet that declares
/// more than its bound fails the read at the header, before MQTTnet allocates or reads its body. The first packet (the
/// CONNECT, read before the client is authenticated) has a bound of its own; MQTTnet reads nothing more before the
/// CONNACK, so every later packet is an authenticated client's, bounded by the largest SendMessage publish.
/// </summary>
internal sealed class MqttPacketSizeGuard(IMqttChannel inner, int maxConnectBytes, int maxPacketBytes) : IMqttChannel
{
    private bool _connectSeen;
    private bool _inHeader = true;
    private bool _typeRead;
    private int _lengthBytes;
    private long _length;
    private int _multiplier = 1;
    private long _bodyLeft;

    public X509Certificate2 ClientCertificate => inner.ClientCertificate;
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;
    public EndPoint LocalEndPoint => inner.LocalEndPoint;
    public bool IsSecureConnection => inner.IsSecureConnection;

    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

    public async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(buffer, offset, count, cancellationToken);
        for (var i = offset; i < offset + read;)
        {
            if (!_inHeader)
            {
                var skip = (int)Math.Min(_bodyLeft, offset + read - i);
                i += skip;
                _bodyLeft -= skip;
                if (_bodyLeft == 0) StartHeader();
                continue;
            }

            var b = buffer[i++];
            if (!_typeRead)
            {
                _typeRead = true;
                continue;
            }

            _length += (b & 0x7F) * (long)_multiplier;
            _multiplier *= 128;
            if ((b & 0x80) != 0 && ++_lengthBytes < 4) continue;
            var bound = _connectSeen ? maxPacketBytes : maxConnectBytes;
            if (_length > bound)
                throw new MqttPacketTooLargeException(
                    $"{(_connectSeen ? "a packet" : "a CONNECT")} of {_length} bytes from {RemoteEndPoint} exceeds {bound}; the connection is closed");
            _connectSeen = true;
            _inHeader = false;
            _bodyLeft = _length;
            if (_bodyLeft == 0) StartHeader();
        }

        return read;
    }

    private void StartHeader()
    {
        _inHeader = true;
        _typeRead = false;
        _lengthBytes = 0;
        _length = 0;
        _multiplier = 1;
    }

    public Task WriteAsync(ReadOnlySequence<byte> buffer, bool isEndOfPacket, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, isEndOfPacket, cancellationToken);

    public void Dispose() => inner.Dispose();
}

public sealed class MqttPacketTooLargeException(string message) : IOException(message);

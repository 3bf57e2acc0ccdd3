using System.Net;
using System.Net.Sockets;

namespace OrleansWeCom.Testing;

/// <summary>
/// Loopback ports for test servers, silos and host processes. Binding to port 0 and closing
/// again can hand the same port out twice in a row, and a port in the kernel's ephemeral range
/// can be taken by any outgoing connection before the server binds it. So ports come from below
/// that range (Linux: 32768 and up), each process starts at its own offset, never hands a port
/// out twice, and skips one that something already listens on.
/// </summary>
public static class TestPorts
{
    private const int First = 20_000;
    private const int Count = 12_000;
    private static readonly object Gate = new();
    private static int _offset = Environment.ProcessId * 389 % Count;

    public static int Next()
    {
        lock (Gate)
        {
            for (var tried = 0; tried < Count; tried++)
            {
                var port = First + _offset;
                _offset = (_offset + 1) % Count;
                if (IsFree(port)) return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port in {First}–{First + Count - 1}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

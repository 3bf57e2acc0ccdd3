using System.Net.Sockets;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>Finding 8: a client cannot make the broker read or hold a huge packet, before authentication or after.</summary>
public sealed class MqttPacketSizeTests
{
    [Fact]
    public async Task A_CONNECT_declaring_64_MiB_is_cut_at_its_header_and_a_normal_client_still_connects()
    {
        await using var broker = await FakeMqttBroker.StartAsync();
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", broker.Port);
        var stream = socket.GetStream();
        // CONNECT (0x10) with a remaining length of 64 MiB (variable byte integer 0x80 0x80 0x80 0x20), then body bytes.
        await stream.WriteAsync(new byte[] { 0x10, 0x80, 0x80, 0x80, 0x20 });
        var chunk = new byte[64 * 1024];
        long written = 0;
        var closed = false;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        try
        {
            while (written < 64L * 1024 * 1024 && DateTime.UtcNow < deadline)
            {
                await stream.WriteAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                written += chunk.Length;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException)
        {
            closed = e is not TimeoutException;
        }

        if (!closed)
        {
            // The server closed its end: a read sees the end of the stream (or a reset).
            var one = new byte[1];
            try
            {
                closed = await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(5)) == 0;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                closed = true;
            }
        }

        Assert.True(closed, $"the connection stayed open after {written / 1024} KiB of a 64 MiB CONNECT");
        Assert.True(written < 32L * 1024 * 1024, $"the broker took {written / 1024 / 1024} MiB of the CONNECT before closing");

        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        var reply = await client.SendAsync(MqttTestClient.Text("size-00000001"));
        Assert.NotNull(reply["msgId"]);
    }

    [Fact]
    public async Task An_authenticated_client_publishing_a_packet_far_over_the_payload_bound_is_disconnected()
    {
        await using var broker = await FakeMqttBroker.StartAsync(o => o.MaxPayloadBytes = 4096);
        await using var client = await broker.ConnectAsync(FakeMqttBroker.KeyA);
        try
        {
            await client.PublishAsync("{\"x\":\"" + new string('a', 200 * 1024) + "\"}");
        }
        catch (Exception)
        {
            // The broker cuts the connection; the client may see it as a failed publish.
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (client.IsConnected && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(client.IsConnected);
    }
}

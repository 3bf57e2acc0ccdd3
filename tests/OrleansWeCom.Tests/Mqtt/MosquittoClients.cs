using System.Diagnostics;
using System.Threading.Channels;

namespace OrleansWeCom.Tests.Mqtt;

/// <summary>
/// The stock command-line clients of Debian's <c>mosquitto-clients</c>, run as a user would run them (no client id).
/// <c>scripts/test.sh</c> installs the package when it is missing; without it these tests fail and say so.
/// </summary>
public sealed class MosquittoSubscriber : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private MosquittoSubscriber(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) _lines.Writer.TryWrite(line); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) _lines.Writer.TryWrite("stderr: " + line); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public List<string> Seen { get; } = [];

    /// <summary>Starts <c>mosquitto_sub</c> for one message on <paramref name="topic"/> and waits until it has subscribed.</summary>
    public static async Task<MosquittoSubscriber> StartAsync(int port, string apiKey, string topic, params string[] extra)
    {
        var subscriber = new MosquittoSubscriber(Mosquitto.Start("mosquitto_sub",
            ["-h", "127.0.0.1", "-p", port.ToString(), "-u", "me", "-P", apiKey, "-t", topic, "-C", "1", "-W", "30", "-v", "-d", .. extra]));
        await subscriber.NextLineAsync(l => l.Contains("received SUBACK", StringComparison.Ordinal), "its SUBACK");
        return subscriber;
    }

    /// <summary>The payload of the first message on <paramref name="topic"/> (printed as "topic payload").</summary>
    public async Task<string> MessageOnAsync(string topic, TimeSpan? timeout = null)
    {
        var line = await NextLineAsync(l => l.StartsWith(topic + " ", StringComparison.Ordinal), $"a message on {topic}", timeout);
        return line[(topic.Length + 1)..];
    }

    private async Task<string> NextLineAsync(Func<string, bool> match, string what, TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(20));
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(timeout.Token);
                Seen.Add(line);
                if (match(line)) return line;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"mosquitto_sub printed no {what}:\n{string.Join('\n', Seen)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

public static class Mosquitto
{
    /// <summary>Runs <c>mosquitto_pub</c> with the arguments given after the connection's; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> PublishAsync(int port, string apiKey, params string[] arguments)
    {
        using var process = Start("mosquitto_pub", ["-h", "127.0.0.1", "-p", port.ToString(), "-u", "me", "-P", apiKey, "-d", .. arguments]);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (process.ExitCode, await output + await error);
    }

    internal static Process Start(string program, IEnumerable<string> arguments)
    {
        var path = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{program} is not installed: apt-get install mosquitto-clients (scripts/test.sh installs it when missing)");
        // Line-buffered, so that mosquitto_sub's lines reach us as it prints them rather than when it exits.
        var start = new ProcessStartInfo("stdbuf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-oL");
        start.ArgumentList.Add(path);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }
}

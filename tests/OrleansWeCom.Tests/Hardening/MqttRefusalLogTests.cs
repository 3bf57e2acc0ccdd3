using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using MQTTnet;
using OrleansWeCom.Gateway.Mqtt;
using OrleansWeCom.Tests.Mqtt;

namespace OrleansWeCom.Tests.Hardening;

/// <summary>Finding 8: a stranger's connect attempts do not fill the log at Warning with ids of their choosing.</summary>
public sealed class MqttRefusalLogTests
{
    private sealed class RecordingLogger : ILogger<WeComMqttServer>
    {
        public ConcurrentQueue<(LogLevel Level, string Text)> Entries { get; } = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task Finding8_unauthenticated_client_ids_are_not_logged_at_warning()
    {
        var logger = new RecordingLogger();
        await using var broker = await FakeMqttBroker.StartAsync(logger: logger);
        for (var i = 0; i < 5; i++)
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await MqttTestClient.RefusedConnectAsync(broker.Port, "not-a-key", $"chosen-by-a-stranger-{i}"));

        Assert.Contains(logger.Entries, e => e.Text.Contains("chosen-by-a-stranger", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning && e.Text.Contains("chosen-by-a-stranger", StringComparison.Ordinal));
    }
}

using OrleansWeCom.Tests.Infrastructure;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Sending;

/// <summary>
/// The account's send turn never waits on a host: a silo with the real account grain and outbox on SQLite, over a host
/// that holds every send until the test lets it answer.
/// </summary>
public sealed class SendTurnTests : IAsyncLifetime
{
    private const string WxId = "1688850407900545";
    private const string Conversation = "S:1688850407900545_7881300000000001";
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(100);
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"wecom-turn-{Guid.NewGuid():N}.db");
    private readonly HoldingHost _hostApi = new();
    private IHost _silo = null!;

    private IAccountGrain Account => _silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IAccountGrain>(WxId);

    public async Task InitializeAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(TestSettings.For(_database, "turn").WithoutDashboard());
        builder.AddWeComSilo();
        builder.Services.AddSingleton<IContainerHostSender>(_hostApi);
        builder.Services.AddSingleton<ITenantEventPublisher, DiscardingPublisher>();
        _silo = builder.Build();
        await _silo.StartAsync();
        await Account.BindAsync(Online());
    }

    public async Task DisposeAsync()
    {
        _hostApi.ReleaseAll();
        await _silo.StopAsync();
        _silo.Dispose();
        SqliteConnection.ClearAllPools();
        TestSettings.DeleteDatabase(_database);
    }

    [Fact]
    public async Task Enqueue_settle_and_bind_answer_at_once_while_the_host_holds_a_send()
    {
        var first = await Account.EnqueueAsync(Text("held"), null);
        await _hostApi.Received(1);

        var enqueue = await Timed(() => Account.EnqueueAsync(Text("queued behind"), null));
        var settle = await Timed(() => Account.SettleAsync("not-ours", 0, null, "S:someone_else", "x"));
        var bind = await Timed(() => Account.BindAsync(Online("u-b")));
        var status = await Account.GetStatusAsync(first);

        Assert.True(enqueue < Quick, $"enqueue took {enqueue.TotalMilliseconds:F0} ms");
        Assert.True(settle < Quick, $"settle took {settle.TotalMilliseconds:F0} ms");
        Assert.True(bind < Quick, $"bind took {bind.TotalMilliseconds:F0} ms");
        Assert.Equal(SendState.Sending, status!.State);
        Assert.Equal(1, await Account.GetQueueLengthAsync());
        Assert.Single(_hostApi.Calls);
    }

    [Fact]
    public async Task The_next_send_starts_only_after_the_held_one_is_answered_and_a_gap_later()
    {
        await Account.EnqueueAsync(Text("one"), null);
        await Account.EnqueueAsync(Text("two"), null);
        await _hostApi.Received(1);
        await Task.Delay(700);
        Assert.Single(_hostApi.Calls);

        var answeredAt = Stopwatch.GetTimestamp();
        _hostApi.ReleaseAll();
        await _hostApi.Received(2);

        Assert.True(Stopwatch.GetElapsedTime(answeredAt, _hostApi.Calls.Last().At) >= TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task An_echo_that_overtakes_the_hosts_answer_settles_the_send_in_flight_once()
    {
        var msgId = await Account.EnqueueAsync(Text("overtaken"), null);
        await _hostApi.Received(1);

        var settlement = await Account.SettleAsync("host-1", 0, null, Conversation, "overtaken");
        _hostApi.ReleaseAll("host-1");
        await Task.Delay(200);

        Assert.Equal(new Settlement(msgId, true), settlement);
        var status = await Account.GetStatusAsync(msgId);
        Assert.Equal((SendState.Sent, "host-1"), (status!.State, status.HostMsgId));
        // The echo delivered again names the same send and changes nothing.
        Assert.Equal(new Settlement(msgId, true), await Account.SettleAsync("host-1", 0, null, Conversation, "overtaken"));
        Assert.Equal(SendState.Sent, (await Account.GetStatusAsync(msgId))!.State);
    }

    private static async Task<TimeSpan> Timed(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        await call();
        return Stopwatch.GetElapsedTime(started);
    }

    private static OutboundMessage Text(string content) =>
        new(SendKind.Text, new ConversationId(Conversation), JsonSerializer.Serialize(new { wxId = WxId, conversationId = Conversation, content }));

    private static AccountBinding Online(string userId = "u-a") =>
        new(new HostName("apps-a"), "host-a", new TenantId("tenant-a"), userId, ContainerStatus.Online, new CorpId("1970325134026788"));

    /// <summary>A host that takes every send and answers only when released.</summary>
    private sealed class HoldingHost : IContainerHostSender
    {
        private readonly ConcurrentQueue<TaskCompletionSource<string>> _held = new();

        public ConcurrentQueue<(string Body, long At)> Calls { get; } = new();

        public Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
        {
            var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _held.Enqueue(answer);
            Calls.Enqueue((bodyJson, Stopwatch.GetTimestamp()));
            return answer.Task;
        }

        public void ReleaseAll(string? hostMsgId = null)
        {
            while (_held.TryDequeue(out var answer)) answer.TrySetResult(hostMsgId ?? Guid.NewGuid().ToString());
        }

        public async Task Received(int count)
        {
            var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
            while (Calls.Count < count && Stopwatch.GetTimestamp() < deadline) await Task.Delay(10);
            Assert.Equal(count, Calls.Count);
        }
    }

    private sealed class DiscardingPublisher : ITenantEventPublisher
    {
        public Task PublishAsync(TenantEvent tenantEvent) => Task.CompletedTask;
    }
}

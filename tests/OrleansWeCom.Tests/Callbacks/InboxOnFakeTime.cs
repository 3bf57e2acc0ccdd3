using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Callbacks.Streaming;
using OrleansWeCom.Tests.Storage;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>The inbox (real SQLite) and its stream's queue readers on fake time, split into <paramref name="queues"/> queues.</summary>
public abstract class InboxOnFakeTime(int queues) : InboxStoreTest<SqliteTestDatabase>
{
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-12-04T10:00:00Z"));

    protected CallbackStreamOptions StreamOptions { get; } =
        new() { StreamQueues = queues, RedeliverAfter = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(200) };

    /// <summary>Settable: a test may replace it with one of other options (it disposes the one it replaces).</summary>
    protected CallbackInbox Inbox { get; set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Inbox = new CallbackInbox(Store, Options.Create(new CallbackInboxOptions()), Time, NullLogger<CallbackInbox>.Instance);
    }

    public override async Task DisposeAsync()
    {
        await Inbox.DisposeAsync();
        await base.DisposeAsync();
    }

    protected InboxQueueReceiver Receiver(int queue)
    {
        var receiver = new InboxQueueReceiver(queue, StreamOptions, Store, Inbox, Time, NullLogger<InboxQueueReceiver>.Instance);
        receiver.Initialize(TimeSpan.FromSeconds(5));
        return receiver;
    }
}

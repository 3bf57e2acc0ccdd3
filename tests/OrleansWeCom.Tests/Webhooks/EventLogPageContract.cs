using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansWeCom.Tests.Storage;

namespace OrleansWeCom.Tests.Webhooks;

/// <summary>
/// Every read of the event log stops at <see cref="EventLogOptions.MaxReadBytes"/> of event data, after the row that
/// reaches it, and says that more follow; paging on from the last row returns every event once, in order.
/// </summary>
public abstract class EventLogPageContract<TDatabase> : IAsyncLifetime where TDatabase : StorageTestDatabase, new()
{
    private const string Account = "1688854355260001";
    private const string Conversation = "S:1688854355260001_7881300839000001";
    private readonly TDatabase _database = new();
    private StorageDatabases? _databases;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        if (_databases is not null) await _databases.DisposeAsync();
        await _database.DisposeAsync();
    }

    private SqlEventLog Log(long maxReadBytes) =>
        new(_databases ??= _database.Databases(), Options.Create(new EventLogOptions { MaxReadBytes = maxReadBytes }), TimeProvider.System, NullLogger<SqlEventLog>.Instance);

    /// <summary>A text message whose data is exactly <paramref name="length"/> characters.</summary>
    private static TenantEvent Sized(string tenant, int i, int length) => new($"m{i}", new TenantId(tenant), "text_msg", "40c10a375784", "apps-1", Account,
        1686708147954 + i, $"{{\"c\":\"{new string('x', length - 8)}\"}}", null, Conversation);

    [Fact]
    public async Task Every_read_stops_after_the_row_that_reaches_the_byte_budget_and_pages_on_to_the_end()
    {
        await using var log = Log(maxReadBytes: 2_500);
        var tenant = new TenantId("t-pages");
        for (var i = 1; i <= 10; i++) Assert.True(await log.AppendAsync(Sized(tenant.Value, i, 1_000)));

        // 1,000 + 1,000 + 1,000 reaches 2,500: three rows a page, though a hundred were asked for.
        await AssertPagesAsync(after => log.ReadPendingAsync(tenant, after, 100), r => r.Entry.TenantSeq);
        await AssertPagesAsync(after => log.ReadTenantAsync(tenant, after, 100), r => r.TenantSeq);
        await AssertPagesAsync(after => log.ReadAccountAsync(tenant, Account, after, 100), r => r.Seq);
        await AssertPagesAsync(after => log.ReadLaneAsync(tenant, Conversation, after, 10, 100), r => r.Entry.TenantSeq);

        // Dead letters and their replays page the same way, by position.
        foreach (var seq in Enumerable.Range(1, 10)) await log.MarkDeadAsync(tenant, seq, 3, "HTTP 500", DateTimeOffset.UtcNow);
        await AssertPagesAsync(after => log.ReadDeadAsync(tenant, after, 100), r => r.Entry.TenantSeq);
        Assert.Equal(10, await log.RequeueDeadAsync(tenant, null, DateTimeOffset.UtcNow));
        await AssertPagesAsync(after => log.ReadReplaysAsync(tenant, after, 100), r => r.Entry.TenantSeq);
    }

    private static async Task AssertPagesAsync<T>(Func<long, Task<EventPage<T>>> read, Func<T, long> position)
    {
        var pages = new List<EventPage<T>>();
        long after = 0;
        do
        {
            pages.Add(await read(after));
            after = position(pages[^1][^1]);
        }
        while (pages[^1].More && pages.Count < 10);

        Assert.Equal([3, 3, 3, 1], pages.Select(p => p.Count));
        Assert.Equal([true, true, true, false], pages.Select(p => p.More));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), pages.SelectMany(p => p).Select(position));
    }

    [Fact]
    public async Task An_event_larger_than_the_budget_is_read_alone_and_a_page_within_it_is_not_cut()
    {
        await using var log = Log(maxReadBytes: 2_048);
        var tenant = new TenantId("t-big");
        Assert.True(await log.AppendAsync(Sized(tenant.Value, 1, 100_000)));
        Assert.True(await log.AppendAsync(Sized(tenant.Value, 2, 100)));
        Assert.True(await log.AppendAsync(Sized(tenant.Value, 3, 100)));

        var first = await log.ReadPendingAsync(tenant, 0, 100);
        Assert.Equal([1L], first.Select(r => r.Entry.TenantSeq));
        Assert.True(first.More);

        var rest = await log.ReadPendingAsync(tenant, 1, 100);
        Assert.Equal([2L, 3L], rest.Select(r => r.Entry.TenantSeq));
        Assert.False(rest.More);

        // A row limit reached before the budget is no cut.
        var limited = await log.ReadPendingAsync(tenant, 1, 1);
        Assert.Single(limited);
        Assert.False(limited.More);
    }
}

public sealed class SqliteEventLogPageTests : EventLogPageContract<SqliteTestDatabase>;

public sealed class PostgreSqlEventLogPageTests : EventLogPageContract<PostgreSqlTestDatabase>;

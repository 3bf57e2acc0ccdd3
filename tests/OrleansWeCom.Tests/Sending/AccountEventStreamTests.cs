using OrleansWeCom.Tests.Infrastructure;
using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Sending;

/// <summary>A tenant's account events go live on its Orleans stream; callbacks' messages do not.</summary>
public sealed class AccountEventStreamTests : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"wecom-live-{Guid.NewGuid():N}.db");
    private IHost _silo = null!;

    public async Task InitializeAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(TestSettings.For(_database, "live").WithoutDashboard());
        builder.AddWeComSilo();
        _silo = builder.Build();
        await _silo.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _silo.StopAsync();
        _silo.Dispose();
        SqliteConnection.ClearAllPools();
        TestSettings.DeleteDatabase(_database);
    }

    [Fact]
    public async Task Account_events_reach_a_subscriber_of_the_tenants_stream_and_messages_do_not()
    {
        var tenant = "tenant-live-" + Guid.NewGuid().ToString("N")[..8];
        var publisher = _silo.Services.GetRequiredService<ITenantEventPublisher>();

        await publisher.PublishAsync(Event(tenant, "text_msg"));
        await publisher.PublishAsync(Event(tenant, TenantEventTypes.AccountStateChanged));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (AccountEventProbeGrain.Received(tenant).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(200);
        Assert.Equal([TenantEventTypes.AccountStateChanged], AccountEventProbeGrain.Received(tenant).Select(e => e.Type));
    }

    private static TenantEvent Event(string tenant, string type) => new(Guid.NewGuid().ToString(), new TenantId(tenant), type,
        "h0000001", "u-1", "1688850000000099", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "{}", null, null);
}

public interface IAccountEventProbeGrain : IGrainWithStringKey;

/// <summary>Subscribes implicitly to a tenant's account events, as an internal service's grain would.</summary>
[ImplicitStreamSubscription(AccountEventStreams.Namespace)]
public sealed class AccountEventProbeGrain : Grain, IAccountEventProbeGrain, IAsyncObserver<TenantEvent>
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<TenantEvent>> Seen = new();

    public static List<TenantEvent> Received(string tenant) => Seen.TryGetValue(tenant, out var q) ? [.. q] : [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await this.GetStreamProvider(AccountEventStreams.Provider)
            .GetStream<TenantEvent>(StreamId.Create(AccountEventStreams.Namespace, this.GetPrimaryKeyString())).SubscribeAsync(this);

    public Task OnNextAsync(TenantEvent item, StreamSequenceToken? token = null)
    {
        Seen.GetOrAdd(item.Tenant.Value, _ => new()).Enqueue(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

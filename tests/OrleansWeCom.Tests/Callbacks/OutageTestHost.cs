using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Runtime.Providers;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Storage.Events;
using OrleansWeCom.Tests.Infrastructure;

namespace OrleansWeCom.Tests.Callbacks;

/// <summary>
/// While <see cref="Down"/>, every call to a conversation or container grain fails, as it would with their silo or storage
/// gone: routers still receive their stream's batches but can neither resolve a container nor store a message.
/// </summary>
public sealed class GrainSideOutage : IIncomingGrainCallFilter
{
    public volatile bool Down;
    private long _refused;

    public long Refused => Interlocked.Read(ref _refused);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (Down && context.InterfaceMethod?.DeclaringType is { } called && (called == typeof(IConversationGrain) || called == typeof(IContainerGrain)))
        {
            Interlocked.Increment(ref _refused);
            throw new InvalidOperationException("the grains' side is down");
        }

        return context.Invoke();
    }
}

/// <summary>
/// The silo and the gateway in one process with the real callback path (Kestrel, SQLite inbox, the inbox's stream provider,
/// routers, conversations, the event log): the inbox's clock (<see cref="CallbackStreams.Clock"/>) is a fake one, the
/// grains' side can be taken down, and the pulling agent gives a batch up after a short real time (in production it does
/// after minutes, which a five-hour outage outlasts many times).
/// </summary>
public sealed class OutageTestHost : WeComTestApp
{
    private OutageTestHost(WebApplication app, string databaseFile, FakeTimeProvider clock, GrainSideOutage outage) : base(app, databaseFile)
    {
        Clock = clock;
        Outage = outage;
    }

    public FakeTimeProvider Clock { get; }
    public GrainSideOutage Outage { get; }
    public CallbackInboxStore Store => App.Services.GetRequiredService<CallbackInboxStore>();
    public IEventLog EventLog => App.Services.GetRequiredService<IEventLog>();

    public static async Task<OutageTestHost> StartAsync(DateTimeOffset start)
    {
        var databaseFile = CallbackTestHost.NewDatabaseFile();
        var config = OrleansWeCom.Testing.TestSettings.For(databaseFile, "outage");
        config[$"Callbacks:HostTokens:{CallbackTestHost.HostKey}"] = CallbackTestHost.Token;
        config["Conversations:FlushInterval"] = "00:00:00.050";
        var clock = new FakeTimeProvider(start);
        var outage = new GrainSideOutage();
        var app = await StartAppAsync(config, services =>
        {
            services.AddKeyedSingleton<TimeProvider>(CallbackStreams.Clock, clock);
            services.AddSingleton<IIncomingGrainCallFilter>(outage);
            services.AddSingleton<IContainerHosts>(new NoContainerHosts());
            services.AddSingleton<IContainerHostSender>(new NoSender());
            services.AddKeyedSingleton<IMessageDeliveryBackoffProvider>(CallbackStreams.Provider, new ShortDeliveryBackoff());
            services.Configure<StreamPullingAgentOptions>(CallbackStreams.Provider, o => o.MaxEventDeliveryTime = TimeSpan.FromMilliseconds(150));
        });
        return new OutageTestHost(app, databaseFile, clock, outage);
    }

    /// <summary>A container of <paramref name="tenant"/>, as container/create leaves it.</summary>
    public async Task CreateContainerAsync(string tenant, string hostname)
    {
        await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync(tenant);
        await Grains.GetGrain<IContainerGrain>(hostname).InitializeAsync(new TenantId(tenant), "apps-1", CallbackTestHost.HostKey, "/qr.png", "1.0", 1, "2024-01-01 00:00:00");
    }

    public Task<HttpResponseMessage> PostAsync(string json) =>
        Http.PostAsync($"/callbacks/{CallbackTestHost.HostKey}?token={CallbackTestHost.Token}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    private sealed class ShortDeliveryBackoff : IMessageDeliveryBackoffProvider
    {
        public TimeSpan Next(int attempt) => TimeSpan.FromMilliseconds(20);
    }
}

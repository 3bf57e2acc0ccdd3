using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Orleans.Timers;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Storage;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Tests.Scenarios;

/// <summary>
/// One in-process silo with the product's own wiring (<c>AddWeComSiloServices</c>, <c>AddWeComGrains</c>), grain state
/// and the outbox in a SQLite file of its own, a scripted container host and the tenant boundary recorded; each test
/// class gets its own (an xunit class fixture). It runs on the real clock with limits of seconds: on a fake clock shared
/// with the Orleans runtime, the runtime's own loops (reminders, membership) livelocked inside Advance or stopped the silo.
/// The rules themselves are tested on fake time apart from the grains.
/// </summary>
public class ScenarioCluster : IAsyncLifetime
{
    /// <summary>Scenario classes take turns: two in-process clusters on fake time at once disturbed each other.</summary>
    public const string Collection = "scenario clusters";

    private readonly string _database = Path.Combine(Path.GetTempPath(), $"wecom-scenario-{Guid.NewGuid():N}.db");
    private InProcessTestCluster _cluster = null!;

    public ScriptedHost Host { get; }
    public ConcurrentQueue<TenantEvent> Events { get; } = new();
    /// <summary>The silo's own grain factory: scenarios call grains from inside the silo, with no client to connect.</summary>
    public IGrainFactory Grains { get; private set; } = null!;

    public ScenarioCluster() => Host = new ScriptedHost();

    /// <summary>Configuration a scenario class adds to the test settings (its limits).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.InitializeClientOnDeploy = false;
        StorageOptions? storage = null;
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.ClearProviders();
            host.Configuration.AddInMemoryCollection(TestSettings.For(_database, "scenarios").Concat(Settings));
            storage = host.AddWeComSiloServices();
            host.Services.AddSingleton<IContainerHostSender>(Host);
            host.Services.AddSingleton<IContainerHosts>(Host);
            host.Services.AddSingleton<ITenantEventPublisher>(new Recorder(Events));
            // Reminders only revive grains after a silo is lost, which the real-process tests cover; here they are held.
            host.Services.Replace(ServiceDescriptor.Singleton<IReminderRegistry, HeldReminders>());
        });
        builder.ConfigureSilo((_, silo) => silo.AddWeComGrains(storage!));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        Grains = ((InProcessSiloHandle)_cluster.Silos[0]).ServiceProvider.GetRequiredService<IGrainFactory>();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TestSettings.DeleteDatabase(_database);
    }

    /// <summary>Waits until <paramref name="done"/> holds, at most <paramref name="limit"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, TimeSpan limit)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(limit.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!done() && TimeProvider.System.GetTimestamp() < deadline) await Task.Delay(20);
        Assert.True(done(), $"not done within {limit}");
    }

    /// <summary>Reminders registered and listed, never fired.</summary>
    private sealed class HeldReminders : IReminderRegistry
    {
        private readonly ConcurrentDictionary<(GrainId, string), IGrainReminder> _reminders = new();

        public Task<IGrainReminder> RegisterOrUpdateReminder(GrainId callingGrainId, string reminderName, TimeSpan dueTime, TimeSpan period) =>
            Task.FromResult(_reminders.GetOrAdd((callingGrainId, reminderName), _ => new Held(reminderName)));

        public Task<IGrainReminder> RegisterOrUpdateReminder(GrainId callingGrainId, string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken) =>
            RegisterOrUpdateReminder(callingGrainId, reminderName, dueTime, period);

        public Task UnregisterReminder(GrainId callingGrainId, IGrainReminder reminder)
        {
            _reminders.TryRemove((callingGrainId, reminder.ReminderName), out _);
            return Task.CompletedTask;
        }

        public Task UnregisterReminder(GrainId callingGrainId, IGrainReminder reminder, CancellationToken cancellationToken) => UnregisterReminder(callingGrainId, reminder);

        public Task<IGrainReminder?> GetReminder(GrainId callingGrainId, string reminderName) =>
            Task.FromResult(_reminders.GetValueOrDefault((callingGrainId, reminderName)));

        public Task<IGrainReminder?> GetReminder(GrainId callingGrainId, string reminderName, CancellationToken cancellationToken) => GetReminder(callingGrainId, reminderName);

        public Task<List<IGrainReminder>> GetReminders(GrainId callingGrainId) =>
            Task.FromResult(_reminders.Where(r => r.Key.Item1 == callingGrainId).Select(r => r.Value).ToList());

        public Task<List<IGrainReminder>> GetReminders(GrainId callingGrainId, CancellationToken cancellationToken) => GetReminders(callingGrainId);

        private sealed record Held(string ReminderName) : IGrainReminder;
    }

    private sealed class Recorder(ConcurrentQueue<TenantEvent> events) : ITenantEventPublisher
    {
        public Task PublishAsync(TenantEvent tenantEvent)
        {
            events.Enqueue(tenantEvent);
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// A container host whose sends answer at once (or fail, as a test scripts it), stamped when they arrive, and whose
/// life-cycle calls are recorded.
/// </summary>
public sealed class ScriptedHost : IContainerHostSender, IContainerHosts
{
    private int _sent;

    /// <summary>Host calls as (account body, fake timestamp of the call).</summary>
    public ConcurrentQueue<(string Body, DateTimeOffset At)> Sends { get; } = new();
    public ConcurrentQueue<string> Restarts { get; } = new();

    /// <summary>Fails every send (as a host that claims the account online while it cannot send).</summary>
    public volatile bool Failing;

    public async Task<string> SendAsync(string hostKey, string path, string bodyJson, CancellationToken cancellationToken)
    {
        Sends.Enqueue((bodyJson, DateTimeOffset.UtcNow));
        if (Failing) throw new HttpRequestException("connection refused");
        await Task.Yield();
        return $"host-{Interlocked.Increment(ref _sent)}";
    }

    public Task<string> PickHostForNewContainerAsync(CancellationToken cancellationToken) => Task.FromResult("scripted");
    public Task<HostCreatedContainer> CreateAsync(string hostKey, string userId, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<VerifyResult> VerifyAsync(string hostKey, string hostName, string key, string code, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task StopAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task RemoveAsync(string hostKey, string hostName, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RestartAsync(string hostKey, string hostName, CancellationToken cancellationToken)
    {
        Restarts.Enqueue(hostName);
        return Task.CompletedTask;
    }

    public Task<HostContainerStatus?> GetStatusAsync(string hostKey, string hostName, CancellationToken cancellationToken) =>
        // Every container is still logging in, as far as the host can tell.
        Task.FromResult<HostContainerStatus?>(new HostContainerStatus((int)ContainerStatus.LoggingIn, null, null));

    public Task<IReadOnlyList<HostContainerMemory>> GetMemoryAsync(string hostKey, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<HostContainerMemory>>([]);

    public Task<(Stream Content, string ContentType)> DownloadAsync(string hostKey, string path, CancellationToken cancellationToken) => throw new NotSupportedException();
}

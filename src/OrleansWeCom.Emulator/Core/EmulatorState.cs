using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Callbacks;

namespace OrleansWeCom.Emulator.Core;

/// <summary>
/// Everything the host knows: the world, the containers and the limits. One gate guards it all, so the
/// callbacks of a container are enqueued in the order its state changed.
/// </summary>
internal sealed partial class EmulatorState : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Container> _containers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The container each account is logged in with (any state but removed); every send looks it up.</summary>
    private readonly Dictionary<string, Container> _byWxId = [];
    private readonly Random _hostnames;
    private readonly SendLimiter _limiter;
    private long _localId = 1000;

    public EmulatorState(EmulatorOptions options, TimeProvider time, CallbackDispatcher callbacks, FileStore files, FaultState faults)
    {
        Options = options;
        Time = time;
        Callbacks = callbacks;
        Files = files;
        Faults = faults;
        World = new World(options, time.GetUtcNow());
        _hostnames = new Random(options.Seed ^ 0x5eed);
        _limiter = new SendLimiter(options.Limits);
    }

    public EmulatorOptions Options { get; }
    public TimeProvider Time { get; }
    public CallbackDispatcher Callbacks { get; }
    public FileStore Files { get; }
    public FaultState Faults { get; }
    public World World { get; }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var container in _containers.Values)
            {
                container.QrTimer?.Dispose();
            }
        }
    }

    private DateTimeOffset Now => Time.GetUtcNow();

    private Container ContainerOf(string hostname) =>
        _containers.GetValueOrDefault(hostname.Trim()) ?? throw ApiException.NotFound($"unknown hostname '{hostname}'");

    /// <summary>The container an account is logged in with (any state but removed).</summary>
    private Container? BoundContainer(string wxId) =>
        _byWxId.TryGetValue(wxId, out var container) && container.Status != ContainerStatus.LoggedOut ? container : null;

    private void Unbind(Container container)
    {
        if (container.Account is { } account && _byWxId.TryGetValue(account.UserId, out var bound) && bound == container)
        {
            _byWxId.Remove(account.UserId);
        }
    }

    /// <summary>The account of a wxId that must be logged in; 404 when no container knows it.</summary>
    private (Container Container, Person Account) Bound(string wxId)
    {
        var container = BoundContainer(wxId.Trim()) ?? throw ApiException.NotFound($"no container is logged in as wxId '{wxId}'");
        return (container, container.Account!);
    }

    /// <summary>As <see cref="Bound"/>, and the container must be online to act.</summary>
    private (Container Container, Person Account) Online(string wxId)
    {
        var bound = Bound(wxId);
        return bound.Container.Status == ContainerStatus.Online
            ? bound
            : throw ApiException.Conflict($"the container of wxId '{wxId}' is not online (Status {(int)bound.Container.Status})");
    }

    private IEnumerable<Container> OnlineContainersOf(IEnumerable<string> userIds)
    {
        var ids = userIds.ToHashSet();
        return _containers.Values.Where(c => c.Status == ContainerStatus.Online && c.Account is { } a && ids.Contains(a.UserId));
    }

    /// <summary>Posts the seed's callback envelope; called under the gate so a container's callbacks keep their order.</summary>
    private void Post(Container container, string type, JsonNode? data, string? sendMsgId = null)
    {
        var beforeLogin = type == "qrcode_status_msg";
        var envelope = new JsonObject
        {
            ["msgId"] = Guid.NewGuid().ToString(),
            ["source"] = container.Hostname,
            ["userId"] = beforeLogin ? null : container.UserId,
            ["wxid"] = beforeLogin ? "" : container.Account?.UserId ?? "",
            ["timestamp"] = Now.ToUnixTimeMilliseconds(),
            ["type"] = type,
            ["data"] = data,
            ["sendMsgId"] = sendMsgId,
        };
        Callbacks.Enqueue(container.Hostname, JsonSerializer.SerializeToUtf8Bytes(envelope, Envelope.Json));
    }

    private string NextLocalId() => (++_localId).ToString(CultureInfo.InvariantCulture);

    private static string Format(DateTimeOffset time) => time.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Runs <paramref name="action"/> under the gate.</summary>
    public T Locked<T>(Func<T> action)
    {
        lock (_gate)
        {
            return action();
        }
    }
}

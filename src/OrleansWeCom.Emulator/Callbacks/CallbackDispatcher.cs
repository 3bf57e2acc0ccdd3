using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Callbacks;

/// <summary>
/// Posts callbacks at least once: one ordered queue per container, retries with back-off on any failure,
/// and a configurable share delivered twice. Back-off waits are wall-clock: they pace real sockets, not WeCom time.
/// </summary>
internal sealed partial class CallbackDispatcher : IAsyncDisposable
{
    private readonly EmulatorCallbackOptions _options;
    private readonly FaultState _faults;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, Channel<byte[]>> _queues = new();
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _stopping = new();
    private volatile Target _target;
    private long _enqueued;
    private long _completed;
    private long _delivered;
    private long _duplicates;
    private long _failedAttempts;
    private long _dropped;
    private long _givenUp;

    private sealed record Target(Uri? Url, double DuplicateRate);

    public CallbackDispatcher(EmulatorCallbackOptions options, FaultState faults, ILogger logger)
    {
        _options = options;
        _faults = faults;
        _logger = logger;
        _target = new Target(Parse(options.Url), Math.Clamp(options.DuplicateRate, 0, 1));
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = 512,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public void SetTarget(string? url, double duplicateRate)
    {
        if (duplicateRate is < 0 or > 1 || double.IsNaN(duplicateRate))
        {
            throw new ArgumentOutOfRangeException(nameof(duplicateRate), "duplicateRate must be within 0..1");
        }

        _target = new Target(Parse(url), duplicateRate);
        _options.Url = url;
        _options.DuplicateRate = duplicateRate;
    }

    public void Enqueue(string source, byte[] payload)
    {
        var queue = _queues.GetOrAdd(source, static (_, self) => self.StartQueue(), this);
        Interlocked.Increment(ref _enqueued);
        queue.Writer.TryWrite(payload);
    }

    /// <summary>Waits (at most <paramref name="max"/>) until every callback enqueued so far is delivered or given up.</summary>
    public async Task DeliveredAsync(TimeSpan max)
    {
        var target = Interlocked.Read(ref _enqueued);
        var deadline = DateTime.UtcNow + max;
        while (Interlocked.Read(ref _completed) < target && DateTime.UtcNow < deadline) await Task.Delay(5);
    }

    public JsonObject Describe()
    {
        var target = _target;
        return new JsonObject
        {
            ["url"] = target.Url?.OriginalString,
            ["duplicateRate"] = target.DuplicateRate,
            ["enqueued"] = Interlocked.Read(ref _enqueued),
            ["pending"] = Interlocked.Read(ref _enqueued) - Interlocked.Read(ref _completed),
            ["delivered"] = Interlocked.Read(ref _delivered),
            ["duplicates"] = Interlocked.Read(ref _duplicates),
            ["failedAttempts"] = Interlocked.Read(ref _failedAttempts),
            ["dropped"] = Interlocked.Read(ref _dropped),
            ["givenUp"] = Interlocked.Read(ref _givenUp),
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues.Values)
        {
            queue.Writer.TryComplete();
        }

        await _stopping.CancelAsync();
        Task[] workers;
        lock (_workers)
        {
            workers = [.. _workers];
        }

        await Task.WhenAll(workers).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _stopping.Dispose();
    }

    private Channel<byte[]> StartQueue()
    {
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var worker = Task.Run(() => DrainAsync(channel.Reader));
        lock (_workers)
        {
            _workers.Add(worker);
        }

        return channel;
    }

    private async Task DrainAsync(ChannelReader<byte[]> reader)
    {
        var ct = _stopping.Token;
        try
        {
            await foreach (var payload in reader.ReadAllAsync(ct))
            {
                var target = _target;
                var delivered = await DeliverAsync(target, payload, ct);
                if (delivered && target.DuplicateRate > 0 && Random.Shared.NextDouble() < target.DuplicateRate)
                {
                    Interlocked.Increment(ref _duplicates);
                    await DeliverAsync(target, payload, ct);
                }

                Interlocked.Increment(ref _completed);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> DeliverAsync(Target target, byte[] payload, CancellationToken ct)
    {
        if (target.Url is null || _faults.DropCallbacks)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        var delay = _options.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            if (await TryPostAsync(target.Url, payload, ct))
            {
                Interlocked.Increment(ref _delivered);
                return true;
            }

            Interlocked.Increment(ref _failedAttempts);
            if (attempt >= _options.RetryCount)
            {
                Interlocked.Increment(ref _givenUp);
                LogGivenUp(_logger, target.Url, attempt + 1);
                return false;
            }

            await Task.Delay(delay, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    private async Task<bool> TryPostAsync(Uri url, byte[] payload, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _http.PostAsync(url, content, timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static Uri? Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"callback url '{url}' is not an absolute http(s) URL", nameof(url));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback to {Url} given up after {Attempts} attempts")]
    private static partial void LogGivenUp(ILogger logger, Uri url, int attempts);
}

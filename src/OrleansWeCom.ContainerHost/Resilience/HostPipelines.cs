using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.ContainerHost.Resilience;

/// <summary>
/// The two pipelines of one host. Both run through the same circuit breaker instance, so every call to the host
/// (lifecycle, query or send) counts towards and is stopped by one breaker:
/// <code>total timeout → retry → shared circuit breaker → attempt timeout → HTTP</code>
/// </summary>
internal sealed partial class HostPipelines
{
    public HostPipelines(ContainerHostOptions options, TimeProvider timeProvider, ILogger logger)
    {
        Name = options.Name;
        _logger = logger;
        Circuit = new CircuitBreakerStateProvider();
        var circuit = Circuit;
        WeComTelemetry.ObserveCircuit(Name, () => circuit.CircuitState.ToString().ToLowerInvariant());

        // Built once and shared: a breaker per pipeline would let sends hammer a host that queries already gave up on.
        var breaker = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = options.CircuitFailureRatio,
                MinimumThroughput = options.CircuitMinimumThroughput,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
                StateProvider = Circuit,
                ShouldHandle = args => ValueTask.FromResult(IsHostFault(args.Outcome)),
                OnOpened = args =>
                {
                    LogCircuitOpened(Name, args.BreakDuration);
                    WeComTelemetry.HostCircuitChanges.Add(1, new KeyValuePair<string, object?>("host", Name), new KeyValuePair<string, object?>("state", "open"));
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    LogCircuitClosed(Name);
                    WeComTelemetry.HostCircuitChanges.Add(1, new KeyValuePair<string, object?>("host", Name), new KeyValuePair<string, object?>("state", "closed"));
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        Idempotent = Build(options, timeProvider, breaker, args => IsHostFault(args.Outcome));

        // A send that may have reached the host must not be sent again: the host does not de-duplicate, so a retry
        // after a timeout, a 5xx or a broken connection risks a second copy of the message in the customer's chat.
        // Only failures that prove the request never got to the host are retried (refused or unresolvable
        // connection, open circuit); everything else surfaces at once and the outbox settles the message by its
        // callback (sendMsgId) or gives up on it.
        RetryOnlyIfUnsent = Build(options, timeProvider, breaker, args => args.Outcome.Exception is { } e && CertainlyUnsent(e));
    }

    private readonly ILogger _logger;

    public string Name { get; }

    /// <summary>For lifecycle calls and queries: retried on 5xx, 408, timeouts and connection failures.</summary>
    public ResiliencePipeline<HttpResponseMessage> Idempotent { get; }

    /// <summary>For sends and other calls the host does not de-duplicate.</summary>
    public ResiliencePipeline<HttpResponseMessage> RetryOnlyIfUnsent { get; }

    public CircuitBreakerStateProvider Circuit { get; }

    /// <summary>False while the circuit is open (or isolated): calls would be rejected without trying.</summary>
    public bool IsAvailable => Circuit.CircuitState is CircuitState.Closed or CircuitState.HalfOpen;

    private ResiliencePipeline<HttpResponseMessage> Build(
        ContainerHostOptions options,
        TimeProvider timeProvider,
        ResiliencePipeline<HttpResponseMessage> breaker,
        Func<RetryPredicateArguments<HttpResponseMessage>, bool> shouldRetry)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddTimeout(options.TotalTimeout);
        if (options.RetryCount > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.RetryCount,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(shouldRetry(args)),
                OnRetry = args =>
                {
                    LogRetry(Name, args.AttemptNumber + 1, args.RetryDelay, Describe(args.Outcome));
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder
            .AddPipeline(breaker)
            .AddTimeout(options.Timeout)
            .Build();
    }

    /// <summary>A failure that says something about the host's health: 5xx, 408, timeouts, broken connections. Never 4xx.</summary>
    internal static bool IsHostFault(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Exception: BrokenCircuitException } => true,
        { Result: { } response } => IsTransientStatus(response.StatusCode),
        _ => false,
    };

    internal static bool IsTransientStatus(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.RequestTimeout;

    /// <summary>True only when the request provably never reached the host.</summary>
    internal static bool CertainlyUnsent(Exception exception) => exception switch
    {
        BrokenCircuitException => true,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } => true,
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound } } => true,
        _ => false,
    };

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } e ? e.GetType().Name + ": " + e.Message : "HTTP " + (int)outcome.Result!.StatusCode;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container host {Host}: retry {Attempt} in {Delay} after {Failure}")]
    private partial void LogRetry(string host, int attempt, TimeSpan delay, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Container host {Host}: circuit opened for {BreakDuration}")]
    private partial void LogCircuitOpened(string host, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container host {Host}: circuit closed")]
    private partial void LogCircuitClosed(string host);
}

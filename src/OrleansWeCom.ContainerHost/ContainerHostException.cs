using System.Net;

namespace OrleansWeCom.ContainerHost;

/// <summary>Why a call to a container host failed.</summary>
public enum ContainerHostErrorKind
{
    /// <summary>The host answered 2xx with an envelope whose <c>code</c> is not 0.</summary>
    HostError,

    /// <summary>The host answered a non-2xx status.</summary>
    HttpError,

    /// <summary>No answer within the per-call timeout.</summary>
    Timeout,

    /// <summary>The host could not be reached or the connection broke.</summary>
    Unreachable,

    /// <summary>The host's circuit breaker is open; the call was not attempted.</summary>
    CircuitOpen,

    /// <summary>The host answered something that is not the seed's envelope.</summary>
    InvalidResponse,

    /// <summary>No configured host is healthy and has room for another container.</summary>
    NoHostAvailable,
}

/// <summary>A container host call that did not succeed, after the pipeline's retries.</summary>
public sealed class ContainerHostException : Exception
{
    /// <summary>Envelope code meaning "sending too fast, back off and retry".</summary>
    public const int RateLimitedCode = -1000999;

    public ContainerHostException(
        ContainerHostErrorKind kind,
        string message,
        string? hostName = null,
        string? path = null,
        int? code = null,
        string? msg = null,
        HttpStatusCode? httpStatus = null,
        bool isTransient = false,
        bool mayHaveReachedHost = true,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        HostName = hostName;
        Path = path;
        Code = code;
        Msg = msg;
        HttpStatus = httpStatus;
        IsTransient = isTransient;
        MayHaveReachedHost = mayHaveReachedHost;
    }

    public ContainerHostErrorKind Kind { get; }

    /// <summary>The configured name of the host, when one was involved.</summary>
    public string? HostName { get; }

    /// <summary>The openAPI path, e.g. <c>msg/text</c>.</summary>
    public string? Path { get; }

    /// <summary>The envelope's <c>code</c> for <see cref="ContainerHostErrorKind.HostError"/>.</summary>
    public int? Code { get; }

    /// <summary>The envelope's <c>msg</c>.</summary>
    public string? Msg { get; }

    /// <summary>The HTTP status of the host's answer, when there was one.</summary>
    public HttpStatusCode? HttpStatus { get; }

    /// <summary>Whether the same call may succeed later (after the retries the pipeline already made).</summary>
    public bool IsTransient { get; }

    /// <summary>
    /// False only when the request certainly did not reach the host (connection refused, circuit open): then a send
    /// can be repeated safely. When true, a failed send may still have been delivered; settle it by its callback.
    /// </summary>
    public bool MayHaveReachedHost { get; }
}

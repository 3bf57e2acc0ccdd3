using System.Net;
using OrleansWeCom.ContainerHost;

namespace OrleansWeCom.Tests.ContainerHost;

/// <summary>Which failed sends may have been carried out by the host, and so must not be sent again.</summary>
public sealed class SendOutcomeTests
{
    public static TheoryData<ContainerHostErrorKind, HttpStatusCode?, bool, bool> Failures => new()
    {
        // kind, HTTP status, may have reached the host, outcome unknown
        { ContainerHostErrorKind.Timeout, null, true, true },
        { ContainerHostErrorKind.Unreachable, null, true, true },
        { ContainerHostErrorKind.Unreachable, null, false, false },
        { ContainerHostErrorKind.CircuitOpen, null, false, false },
        { ContainerHostErrorKind.InvalidResponse, HttpStatusCode.OK, true, true },
        { ContainerHostErrorKind.HttpError, HttpStatusCode.InternalServerError, true, true },
        { ContainerHostErrorKind.HttpError, HttpStatusCode.GatewayTimeout, true, true },
        { ContainerHostErrorKind.HttpError, HttpStatusCode.ServiceUnavailable, true, false },
        { ContainerHostErrorKind.HttpError, HttpStatusCode.BadRequest, true, false },
        { ContainerHostErrorKind.HttpError, HttpStatusCode.TooManyRequests, true, false },
        { ContainerHostErrorKind.HostError, HttpStatusCode.OK, true, false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Only_a_failure_that_may_have_been_carried_out_leaves_the_outcome_unknown(
        ContainerHostErrorKind kind, HttpStatusCode? status, bool mayHaveReachedHost, bool unknown)
    {
        var failure = new ContainerHostException(kind, "failed", "emu", "msg/text", httpStatus: status, mayHaveReachedHost: mayHaveReachedHost);
        Assert.Equal(unknown, ContainerHostAdapter.OutcomeUnknown(failure));
    }
}

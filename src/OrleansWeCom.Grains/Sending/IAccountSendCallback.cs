namespace OrleansWeCom.Grains.Sending;

/// <summary>How a host call of a send ended, as far as the caller can tell.</summary>
public enum SendAnswerKind
{
    /// <summary>The host took it and named its msgId; the echo settles it.</summary>
    Accepted,

    /// <summary>The call was never started (the activation or the silo stopped first): the send may go again.</summary>
    NotStarted,

    /// <summary>The request may have reached the host without an answer coming back: not sent again.</summary>
    Unknown,

    /// <summary>The host refused the request itself: retrying cannot help.</summary>
    Refused,

    /// <summary>The host could not be reached or failed before taking it: retried with back-off.</summary>
    Failed,
}

/// <summary>The host's answer to one send attempt, handed back to the account that made it.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.SendAnswer")]
public sealed record SendAnswer(
    [property: Id(0)] string MsgId,
    [property: Id(1)] int Attempt,
    [property: Id(2)] SendAnswerKind Kind,
    [property: Id(3)] string? HostMsgId,
    [property: Id(4)] string? Error,
    [property: Id(5)] Guid Activation,
    [property: Id(6)] long AnsweredTimestamp,
    [property: Id(7)] DateTimeOffset AnsweredAt);

/// <summary>
/// The account's own way back from a host call: a send's turn starts the call and ends, and the answer arrives as a call
/// of its own, queued like any other, so no turn ever waits on a host. Internal to the silo (not in Abstractions).
/// </summary>
[Alias("OrleansWeCom.IAccountSendCallback")]
public interface IAccountSendCallback : IGrainWithStringKey
{
    [Alias("SendAnswered")] Task OnSendAnsweredAsync(SendAnswer answer);
}

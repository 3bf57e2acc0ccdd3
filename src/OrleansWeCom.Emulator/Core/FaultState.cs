using System.Text.Json.Nodes;

namespace OrleansWeCom.Emulator.Core;

/// <summary>Faults switched on for a while by <c>PUT /emulator/faults</c>, for resilience tests.</summary>
internal sealed class FaultState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _serverErrorsUntil;
    private DateTimeOffset _timeoutsUntil;
    private DateTimeOffset _dropCallbacksUntil;
    private DateTimeOffset _lostAnswersUntil;
    private DateTimeOffset _scanOnCreateUntil;
    private int _serverErrorStatus = StatusCodes.Status503ServiceUnavailable;

    public bool ServerErrors(out int status)
    {
        lock (_gate)
        {
            status = _serverErrorStatus;
            return time.GetUtcNow() < _serverErrorsUntil;
        }
    }

    public bool Timeouts
    {
        get { lock (_gate) { return time.GetUtcNow() < _timeoutsUntil; } }
    }

    /// <summary>Requests are carried out, but their answers are held until the client gives up or the fault ends.</summary>
    public bool LostAnswers
    {
        get { lock (_gate) { return time.GetUtcNow() < _lostAnswersUntil; } }
    }

    /// <summary>A new container is scanned and logged in before its create is answered (its callbacks may overtake the answer).</summary>
    public bool ScanOnCreate
    {
        get { lock (_gate) { return time.GetUtcNow() < _scanOnCreateUntil; } }
    }

    public bool DropCallbacks
    {
        get { lock (_gate) { return time.GetUtcNow() < _dropCallbacksUntil; } }
    }

    public void Set(TimeSpan? serverErrors, int? serverErrorStatus, TimeSpan? timeouts, TimeSpan? dropCallbacks, TimeSpan? lostAnswers = null, TimeSpan? scanOnCreate = null)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (serverErrors is { } e)
            {
                _serverErrorsUntil = now + e;
            }

            if (serverErrorStatus is { } s)
            {
                _serverErrorStatus = s;
            }

            if (timeouts is { } t)
            {
                _timeoutsUntil = now + t;
            }

            if (dropCallbacks is { } d)
            {
                _dropCallbacksUntil = now + d;
            }

            if (lostAnswers is { } l)
            {
                _lostAnswersUntil = now + l;
            }

            if (scanOnCreate is { } c)
            {
                _scanOnCreateUntil = now + c;
            }
        }
    }

    public JsonObject Describe()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            return new JsonObject
            {
                ["serverErrorMs"] = Remaining(_serverErrorsUntil, now),
                ["serverErrorStatus"] = _serverErrorStatus,
                ["timeoutMs"] = Remaining(_timeoutsUntil, now),
                ["dropCallbacksMs"] = Remaining(_dropCallbacksUntil, now),
                ["lostAnswersMs"] = Remaining(_lostAnswersUntil, now),
                ["scanOnCreateMs"] = Remaining(_scanOnCreateUntil, now),
            };
        }
    }

    private static long Remaining(DateTimeOffset until, DateTimeOffset now) =>
        until > now ? (long)(until - now).TotalMilliseconds : 0;
}

using OrleansWeCom.Webhooks;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>Replayed dead letters: found by their state in rounds that walk them by position.</summary>
public sealed partial class WebhookGrain
{
    private bool _moreReplays;
    private long _replaysAfter;
    /// <summary>The replay the last read could not take for want of room: read again once it fits.</summary>
    private StoredEvent? _blockedReplay;

    /// <summary>
    /// Reads the next page of the round. Replays held and failing never hide those behind them; a replay that does not
    /// fit stops the read, which goes on from there once it fits (<see cref="LookAgainIfBlockedReplayFits"/>).
    /// </summary>
    private async Task ReadReplaysAsync(DateTimeOffset now)
    {
        _lookForReplays = false;
        await FlushDeliveredAsync(); // a delivered replay not yet marked would be read again
        var replays = await log.ReadReplaysAsync(Tenant, _replaysAfter, O.MaxWindow);
        var passed = 0;
        _blockedReplay = null;
        foreach (var row in replays)
        {
            // One that does not fit now is read again from here once it does.
            if (!_lanes.Holds(row.Entry.TenantSeq) && !_lanes.AddReplay(row, now))
            {
                _blockedReplay = row;
                break;
            }

            _replaysAfter = row.Entry.TenantSeq;
            passed++;
        }

        _moreReplays = passed < replays.Count || replays.Count == O.MaxWindow || replays.More;
        if (!_moreReplays) _replaysAfter = 0; // the round is over; the next starts from the first
        else if (passed > 0) _lookForReplays = true;
    }

    private void LookAgainIfBlockedReplayFits()
    {
        if (_moreReplays && _blockedReplay is { } blocked && _lanes.Fits(blocked)) _lookForReplays = true;
    }
}

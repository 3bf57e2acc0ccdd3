using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>An undelivered event held in memory, with its retry state (restored from the log after a restart).</summary>
public sealed class PendingDelivery(StoredEvent stored, DateTimeOffset now)
{
    public StoredEvent Stored { get; } = stored;
    public long Seq => Stored.Entry.TenantSeq;
    public string Lane => Stored.Lane;
    public int Attempts { get; set; } = stored.Attempts;
    public DateTimeOffset NextAt { get; set; } = stored.NextAttemptAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : now;
    public string? LastError { get; set; } = stored.LastError;
    public bool InFlight { get; set; }
    public byte[]? Body { get; set; }
    public bool IsReplay => Stored.State == DeliveryState.Replay;

    /// <summary>What holding it costs, estimated: its text (two bytes a character) and the body serialized from it.</summary>
    public long Size { get; } = SizeOf(stored);

    public static long SizeOf(StoredEvent stored) => 512 + 4L * (stored.Entry.Event.DataJson?.Length ?? 0);

    /// <summary>The retry window runs from when the event was stored, or replayed.</summary>
    public DateTimeOffset GiveUpAt(TimeSpan window) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Stored.ReplayedAt ?? Stored.Entry.StoredAt) + window;
}

/// <summary>A lane that has pending events in the log it does not hold: read them from <c>After</c> up to <c>UpTo</c>.</summary>
public readonly record struct LaneRead(string Lane, long After, long UpTo, int Limit);

/// <summary>
/// One tenant's undelivered events in memory, in lanes: a lane is a conversation (or an account's events outside
/// conversations), delivered strictly in order, one event in flight; lanes do not wait for each other. Bounds: at most
/// <see cref="WebhookOptions.MaxWindow"/> events held, <see cref="WebhookOptions.MaxLanes"/> lanes, and
/// <see cref="WebhookOptions.MaxPerLane"/> per lane, and <see cref="WebhookOptions.MaxWindowBytes"/>; a lane whose head is failing holds only its head. Events of a lane
/// past its bound stay in the log ("parked") and are read back by lane once the lane has drained.
/// </summary>
public sealed class DeliveryLanes(Func<WebhookOptions> options)
{
    private sealed class Lane(string key, long readThrough)
    {
        public string Key { get; } = key;
        public SortedDictionary<long, PendingDelivery> Held { get; } = new();

        /// <summary>Every pending event of the lane up to here is held or settled; later ones up to the read point are parked.</summary>
        public long ReadThrough { get; set; } = readThrough;
        public bool Parked { get; set; }

        /// <summary>An event of the lane is in flight: the lane waits for its outcome.</summary>
        public bool Busy { get; set; }

        /// <summary>The size of the event a lane read could not hold for the window's bytes: read again once it fits.</summary>
        public long CutSize { get; set; }
        public PendingDelivery? Head => Held.Count > 0 ? Held.First().Value : null;
        public bool Failing => Head is { Attempts: > 0 };
    }

    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly HashSet<long> _seqs = [];

    public enum Offer { Held, Parked, Full }

    /// <summary>Every pending event up to here was offered (held, parked or settled).</summary>
    public long ReadUpTo { get; private set; }

    public int HeldCount => _seqs.Count;
    public long HeldBytes { get; private set; }
    public int LaneCount => _lanes.Count;
    /// <summary>
    /// Room for the next event: under the count and lane bounds, and for the bytes of the event last turned away for them
    /// (so a window held just under its bytes is not read again and again for an event that cannot fit).
    /// </summary>
    public bool HasRoom => HeldCount < options().MaxWindow && LaneCount < options().MaxLanes && FitsBytes(Math.Max(1, _turnedAway));

    /// <summary>The size of the event last turned away for the window's bytes; 0 once an event is held again.</summary>
    private long _turnedAway;

    private bool FitsBytes(long size) => HeldCount == 0 || HeldBytes + size <= options().MaxWindowBytes;

    /// <summary>Whether one more event of this size fits the window (an empty window takes any one).</summary>
    public bool Fits(StoredEvent row) =>
        HeldCount == 0 || (HeldCount < options().MaxWindow && FitsBytes(PendingDelivery.SizeOf(row)));

    private int PerLane => Math.Min(options().MaxPerLane, options().MaxWindow);

    /// <summary>Starts over from a saved cursor.</summary>
    public void Reset(long readUpTo)
    {
        _lanes.Clear();
        _seqs.Clear();
        HeldBytes = 0;
        _turnedAway = 0;
        ReadUpTo = readUpTo;
    }

    /// <summary>
    /// Offers the next pending event of the tenant's order (after <see cref="ReadUpTo"/>). Full means it was not taken:
    /// stop reading and offer it again later.
    /// </summary>
    public Offer Add(StoredEvent row, DateTimeOffset now)
    {
        var seq = row.Entry.TenantSeq;
        if (!_lanes.TryGetValue(row.Lane, out var lane))
        {
            if (!HasRoom) return Offer.Full;
            lane = new Lane(row.Lane, seq - 1);
            _lanes[row.Lane] = lane;
        }

        if (lane.Parked || lane.Failing || lane.Held.Count >= PerLane)
        {
            lane.Parked = true;
            ReadUpTo = Math.Max(ReadUpTo, seq);
            return Offer.Parked;
        }

        if (!Fits(row))
        {
            if (HeldCount < options().MaxWindow) _turnedAway = PendingDelivery.SizeOf(row);
            if (lane.Held.Count == 0) _lanes.Remove(lane.Key);
            return Offer.Full;
        }

        _turnedAway = 0;
        Hold(lane, row, now);
        lane.ReadThrough = seq;
        ReadUpTo = Math.Max(ReadUpTo, seq);
        return Offer.Held;
    }

    /// <summary>Whether the event is held (waiting or in flight) in a lane.</summary>
    public bool Holds(long tenantSeq) => _seqs.Contains(tenantSeq);

    /// <summary>Holds a replayed dead letter in its lane; false when it is held already or there is no room.</summary>
    public bool AddReplay(StoredEvent row, DateTimeOffset now)
    {
        if (_seqs.Contains(row.Entry.TenantSeq) || !Fits(row)) return false;
        if (!_lanes.TryGetValue(row.Lane, out var lane))
        {
            if (LaneCount >= options().MaxLanes) return false;
            // A new lane: its pending events after the read point are found by the main read, earlier ones by a lane read.
            lane = new Lane(row.Lane, ReadUpTo);
            _lanes[row.Lane] = lane;
        }

        Hold(lane, row, now);
        return true;
    }

    /// <summary>Lanes drained while events of theirs are parked in the log, with how many each may take now.</summary>
    public IEnumerable<LaneRead> ReadsNeeded()
    {
        var room = options().MaxWindow - HeldCount;
        foreach (var lane in _lanes.Values)
        {
            if (room <= 0 || HeldBytes >= options().MaxWindowBytes) yield break;
            if (!lane.Parked || lane.Held.Count > 0 || !FitsBytes(lane.CutSize)) continue;
            var limit = Math.Min(PerLane, room);
            room -= limit;
            yield return new LaneRead(lane.Key, lane.ReadThrough, ReadUpTo, limit);
        }
    }

    /// <summary>
    /// Takes what a lane read returned; fewer rows than asked means nothing of the lane is parked any more, unless the
    /// read stopped for its bytes (<paramref name="more"/>).
    /// </summary>
    public void AddFromLane(LaneRead read, IReadOnlyList<StoredEvent> rows, bool more, DateTimeOffset now)
    {
        if (!_lanes.TryGetValue(read.Lane, out var lane)) return;
        var cut = false;
        foreach (var row in rows)
        {
            if (_seqs.Contains(row.Entry.TenantSeq)) continue;
            // Past the window's bytes the rest of the lane stays parked, read again once there is room.
            if (!Fits(row))
            {
                cut = true;
                lane.CutSize = PendingDelivery.SizeOf(row);
                break;
            }

            lane.CutSize = 0;

            Hold(lane, row, now);
            lane.ReadThrough = Math.Max(lane.ReadThrough, row.Entry.TenantSeq);
        }

        if (!cut && !more && rows.Count < read.Limit)
        {
            lane.Parked = false;
            lane.ReadThrough = Math.Max(lane.ReadThrough, read.UpTo);
        }

        if (lane.Held.Count == 0 && !lane.Parked) _lanes.Remove(lane.Key);
    }

    /// <summary>The heads of lanes that are due and not in flight.</summary>
    public IEnumerable<PendingDelivery> Due(DateTimeOffset now)
    {
        foreach (var lane in _lanes.Values)
            if (!lane.Busy && lane.Head is { } head && head.NextAt <= now)
                yield return head;
    }

    /// <summary>Marks a head as handed to the endpoint.</summary>
    public void Start(PendingDelivery item)
    {
        item.InFlight = true;
        if (_lanes.TryGetValue(item.Lane, out var lane)) lane.Busy = true;
    }

    /// <summary>A request whose outcome is unknown (the turn failed): it will be tried again.</summary>
    public void Abandon(PendingDelivery item)
    {
        item.InFlight = false;
        if (_lanes.TryGetValue(item.Lane, out var lane)) lane.Busy = false;
    }

    /// <summary>When the next head falls due, or null when no head waits.</summary>
    public DateTimeOffset? EarliestDue()
    {
        DateTimeOffset? earliest = null;
        foreach (var lane in _lanes.Values)
            if (!lane.Busy && lane.Head is { } head && (earliest is null || head.NextAt < earliest))
                earliest = head.NextAt;
        return earliest;
    }

    public IEnumerable<PendingDelivery> All => _lanes.Values.SelectMany(l => l.Held.Values);

    /// <summary>A delivered or dead event leaves its lane; a drained lane with nothing parked goes.</summary>
    public void Remove(PendingDelivery item)
    {
        item.InFlight = false;
        if (!_lanes.TryGetValue(item.Lane, out var lane) || !lane.Held.Remove(item.Seq)) return;
        _seqs.Remove(item.Seq);
        HeldBytes -= item.Size;
        lane.Busy = false;
        if (lane.Held.Count == 0 && !lane.Parked) _lanes.Remove(lane.Key);
    }

    /// <summary>
    /// A failed attempt of a lane's head: counts it and returns when to try again, or null when the retry window is
    /// over (a dead letter). A retried head's followers go back to the log until it is through.
    /// </summary>
    public DateTimeOffset? Failed(PendingDelivery item, DeliveryOutcome outcome, DateTimeOffset now)
    {
        var o = options();
        Abandon(item);
        item.Attempts++;
        item.LastError = outcome.Error;
        var giveUpAt = item.GiveUpAt(o.MaxRetryDuration);
        if (now >= giveUpAt) return null;

        var delay = Backoff(o, item.Attempts);
        if (outcome.RetryAfter is { } asked && asked > delay) delay = asked;
        item.NextAt = now + delay < giveUpAt ? now + delay : giveUpAt; // one last try at the end of the window
        if (_lanes.TryGetValue(item.Lane, out var lane)) ParkFollowers(lane, item);
        return item.NextAt;
    }

    /// <summary>
    /// The delivery cursor: just before the oldest pending event not yet through, held or parked (replays are found by
    /// their state, not by the cursor).
    /// </summary>
    public long Watermark()
    {
        var watermark = ReadUpTo;
        foreach (var lane in _lanes.Values)
        {
            if (lane.Parked) watermark = Math.Min(watermark, lane.ReadThrough);
            foreach (var item in lane.Held.Values)
                if (!item.IsReplay)
                {
                    watermark = Math.Min(watermark, item.Seq - 1);
                    break;
                }
        }

        return watermark;
    }

    /// <summary>Exponential from the attempts so far, capped, with jitter so a recovering endpoint is not hit by every retry at once.</summary>
    public static TimeSpan Backoff(WebhookOptions o, int attempts)
    {
        var exponential = o.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = Math.Min(exponential, o.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() * 0.5));
    }

    private void Hold(Lane lane, StoredEvent row, DateTimeOffset now)
    {
        var held = new PendingDelivery(row, now);
        lane.Held[row.Entry.TenantSeq] = held;
        _seqs.Add(row.Entry.TenantSeq);
        HeldBytes += held.Size;
    }

    private void ParkFollowers(Lane lane, PendingDelivery head)
    {
        if (lane.Head != head) return;
        var followers = lane.Held.Values.Where(p => p != head && !p.IsReplay && !p.InFlight).ToList();
        if (followers.Count == 0) return;
        foreach (var follower in followers)
        {
            lane.Held.Remove(follower.Seq);
            _seqs.Remove(follower.Seq);
            HeldBytes -= follower.Size;
        }

        lane.ReadThrough = Math.Min(lane.ReadThrough, followers[0].Seq - 1);
        lane.Parked = true;
    }
}

namespace OrleansWeCom.Grains.Callbacks;

/// <summary>Aggregation limits and the write-behind of conversation grains.</summary>
public sealed class CallbackGrainOptions
{
    /// <summary>
    /// Messages a conversation keeps for <c>conversation/messages</c>. They are also what it recognises a re-delivered
    /// callback by, so this must be at least <see cref="MaxPendingBeforeFlush"/>.
    /// </summary>
    public int RecentMessages { get; set; } = 100;

    /// <summary>
    /// How long a conversation gathers applied messages before one state write (<c>Conversations:FlushInterval</c>); the
    /// inbox rows are marked processed only after that write, so a crash in between re-applies them, and it must stay
    /// within half of the inbox's <c>Callbacks:RedeliverAfter</c>. A conversation's state holds its recent messages (it
    /// also held 300 keys and a send map until they were derived from the messages), so this interval is what a busy
    /// conversation costs in writes: at 1 s, 300 accounts sending 18,000 messages made 7,780 conversation writes; with
    /// 1,000 accounts sending at full pace (one pair of runs) the host spent 0.95 ms of CPU per message at 5 s and 0.80 ms
    /// at 15 s.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A conversation writes at once when this many callbacks wait for its write: only they can come again after a
    /// crash, so this is at most <see cref="RecentMessages"/>.
    /// </summary>
    public int MaxPendingBeforeFlush { get; set; } = 64;

    /// <summary>Notices (joins, leaves, renames) a group keeps.</summary>
    public int GroupNotices { get; set; } = 100;

    /// <summary>Two reports of the same room change (same kind, operator, members, name) this close in time are one change.</summary>
    public TimeSpan GroupDedupWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a router trusts its container's tenant and host before asking the container grain again.</summary>
    public TimeSpan ContainerCacheTtl { get; set; } = TimeSpan.FromMinutes(1);
}

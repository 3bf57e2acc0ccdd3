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
    /// within half of the inbox's <c>Callbacks:RedeliverAfter</c>. A conversation's state holds its recent messages, so this
    /// interval is what a busy conversation costs in writes: longer means fewer writes and more callbacks applied again
    /// after a crash.
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

    /// <summary>
    /// How long after its arrival a callback naming a container no grain knows yet is held (<c>Callbacks:UnknownContainerHold</c>):
    /// a host may post a new container's first callbacks before it answers <c>container/create</c>. Held, it stops its
    /// stream, which delivers it again (later ones of that container wait behind it); past this it is marked unknown.
    /// </summary>
    public TimeSpan UnknownContainerHold { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a router trusts its container's tenant and host before asking the container grain again.</summary>
    public TimeSpan ContainerCacheTtl { get; set; } = TimeSpan.FromMinutes(1);
}

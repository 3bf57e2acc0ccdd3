namespace OrleansWeCom.Grains.Directory;

/// <summary>
/// The answers one account's directory keeps, by key: bounded in count and characters (least recently used leave
/// first), served while fresh (<see cref="DirectoryKeep.Refresh"/> for <see cref="DirectoryOptions.RefreshAfter"/>,
/// <see cref="DirectoryKeep.Forever"/> always), dropped by key prefix when something changes them. Not thread-safe: a
/// grain's turns use it.
/// </summary>
public sealed class DirectoryCache(DirectoryOptions options, TimeProvider time)
{
    private sealed record Entry(string Key, string? Json, DirectoryKeep Keep, DateTimeOffset StoredAt, long Chars);

    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recent = new();

    public int Count => _entries.Count;
    public long Chars { get; private set; }

    /// <summary>Bumped by every invalidation: an answer fetched across one may be stale and is not kept.</summary>
    public long Generation { get; private set; }

    public bool TryGet(string key, out string? json)
    {
        json = null;
        if (!_entries.TryGetValue(key, out var node)) return false;
        var entry = node.Value;
        if (entry.Keep == DirectoryKeep.Refresh && time.GetUtcNow() - entry.StoredAt >= options.RefreshAfter)
        {
            Remove(node);
            return false;
        }

        _recent.Remove(node);
        _recent.AddFirst(node);
        json = entry.Json;
        return true;
    }

    /// <summary>Keeps an answer in place of the key's old one, unless it is too long; returns whether it was kept.</summary>
    public bool Put(string key, string? json, DirectoryKeep keep)
    {
        if (_entries.TryGetValue(key, out var old)) Remove(old);
        var chars = key.Length + (json?.Length ?? 0);
        if (keep == DirectoryKeep.None || chars > options.MaxEntryChars) return false;
        var node = _recent.AddFirst(new Entry(key, json, keep, time.GetUtcNow(), chars));
        _entries[key] = node;
        Chars += chars;
        while (_entries.Count > options.MaxEntries || Chars > options.MaxChars) Remove(_recent.Last!);
        return true;
    }

    /// <summary>Drops every answer whose key starts with <paramref name="prefix"/>.</summary>
    public int Invalidate(string prefix)
    {
        Generation++;
        var stale = _recent.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Key).ToList();
        foreach (var key in stale) Remove(_entries[key]);
        return stale.Count;
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _entries.Remove(node.Value.Key);
        _recent.Remove(node);
        Chars -= node.Value.Chars;
    }
}

/// <summary>A count of calls in a rolling window: at most <c>limit</c> calls in any <c>window</c>.</summary>
public sealed class RollingQuota(int limit, TimeSpan window, TimeProvider time)
{
    private readonly Queue<DateTimeOffset> _calls = new();

    /// <summary>Takes one call; false, with the wait until one is free, when the window is full.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        while (_calls.Count > 0 && now - _calls.Peek() >= window) _calls.Dequeue();
        if (_calls.Count >= limit)
        {
            retryAfter = _calls.Peek() + window - now;
            return false;
        }

        _calls.Enqueue(now);
        retryAfter = TimeSpan.Zero;
        return true;
    }
}

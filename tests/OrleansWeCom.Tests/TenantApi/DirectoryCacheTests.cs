using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Directory;

namespace OrleansWeCom.Tests.TenantApi;

/// <summary>The directory's keeping rules on fake time: refresh, bounds, invalidation, the id conversion quota.</summary>
public sealed class DirectoryCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));

    private DirectoryCache Cache(int maxEntries = 100, long maxChars = 10_000, int maxEntryChars = 1_000) => new(new DirectoryOptions
    {
        RefreshAfter = TimeSpan.FromMinutes(5), MaxEntries = maxEntries, MaxChars = maxChars, MaxEntryChars = maxEntryChars,
    }, _time);

    [Fact]
    public void A_list_is_served_until_the_refresh_interval_passes_and_an_id_for_good()
    {
        var cache = Cache();
        cache.Put("rooms", "[1]", DirectoryKeep.Refresh);
        cache.Put("id/wm/788", "{\"ExternalUserId\":\"wm1\"}", DirectoryKeep.Forever);

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.True(cache.TryGet("rooms", out var rooms));
        Assert.Equal("[1]", rooms);

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryGet("rooms", out _));
        _time.Advance(TimeSpan.FromDays(30));
        Assert.True(cache.TryGet("id/wm/788", out var id));
        Assert.Contains("wm1", id);
        Assert.False(cache.Put("search", "[]", DirectoryKeep.None));
    }

    [Fact]
    public void Bounds_evict_the_least_recently_used_and_refuse_an_answer_too_long_to_keep()
    {
        var cache = Cache(maxEntries: 3, maxChars: 60, maxEntryChars: 30);
        cache.Put("a", new string('x', 10), DirectoryKeep.Refresh);
        cache.Put("b", new string('x', 10), DirectoryKeep.Refresh);
        cache.Put("c", new string('x', 10), DirectoryKeep.Refresh);
        Assert.True(cache.TryGet("a", out _));
        cache.Put("d", new string('x', 10), DirectoryKeep.Refresh);
        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));

        Assert.False(cache.Put("huge", new string('x', 30), DirectoryKeep.Refresh));
        // A newer answer too long to keep does not leave the older one served.
        Assert.False(cache.Put("a", new string('y', 30), DirectoryKeep.Refresh));
        Assert.False(cache.TryGet("a", out _));
        cache.Put("e", new string('x', 25), DirectoryKeep.Refresh);
        cache.Put("f", new string('x', 25), DirectoryKeep.Refresh);
        Assert.True(cache.Chars <= 60);
        Assert.True(cache.TryGet("f", out _));
    }

    [Fact]
    public void Invalidation_drops_a_prefix_and_moves_the_generation()
    {
        var cache = Cache();
        cache.Put("members/R:1", "{}", DirectoryKeep.Refresh);
        cache.Put("members/R:2", "{}", DirectoryKeep.Refresh);
        cache.Put("rooms", "[]", DirectoryKeep.Refresh);
        var generation = cache.Generation;

        Assert.Equal(1, cache.Invalidate("members/R:1"));
        Assert.Equal(2, cache.Invalidate("members/R") + cache.Invalidate("rooms"));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Chars);
        Assert.True(cache.Generation > generation);
    }

    [Fact]
    public void The_quota_counts_calls_in_a_rolling_window_and_says_when_one_frees()
    {
        var quota = new RollingQuota(2, TimeSpan.FromHours(1), _time);
        Assert.True(quota.TryTake(out _));
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.True(quota.TryTake(out _));
        Assert.False(quota.TryTake(out var wait));
        Assert.Equal(TimeSpan.FromMinutes(50), wait);

        _time.Advance(TimeSpan.FromMinutes(50));
        Assert.True(quota.TryTake(out _));
        Assert.False(quota.TryTake(out wait));
        Assert.Equal(TimeSpan.FromMinutes(10), wait);
    }
}

using System.Text.Json;
using OrleansWeCom.Grains.Events;

namespace OrleansWeCom.Tests.Scenarios;

/// <summary>Helpers the scenarios share: accounts bound online, texts to send, what reached the host.</summary>
internal static class Scenario
{
    public static async Task<IAccountGrain> OnlineAsync(this ScenarioCluster cluster, string wxId, string corp)
    {
        var account = cluster.Grains.GetGrain<IAccountGrain>(wxId);
        await account.BindAsync(new AccountBinding(new HostName("h" + wxId[^8..]), "scripted", new TenantId("tenant-s"), "u-s", ContainerStatus.Online, new CorpId(corp)));
        return account;
    }

    public static OutboundMessage Text(string wxId, string content)
    {
        var conversation = $"S:{wxId}_7881300000000001";
        return new(SendKind.Text, new ConversationId(conversation), JsonSerializer.Serialize(new { wxId, conversationId = conversation, content }));
    }

    /// <summary>The times at which the host was called for <paramref name="wxId"/>, in order.</summary>
    public static List<DateTimeOffset> SendsOf(this ScenarioCluster cluster, string wxId) =>
        cluster.Host.Sends.Where(s => s.Body.Contains(wxId, StringComparison.Ordinal)).Select(s => s.At).ToList();

    public static List<JsonElement> Alerts(this ScenarioCluster cluster, string kind) =>
        cluster.Events.Where(e => e.Type == TenantEventTypes.AccountAlert)
            .Select(e => JsonDocument.Parse(e.DataJson!).RootElement)
            .Where(d => d.GetProperty("kind").GetString() == kind).ToList();
}

[Collection(ScenarioCluster.Collection)]
public sealed class PacingScenarios(ScenarioCluster cluster) : IClassFixture<ScenarioCluster>
{
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(500.5);

    [Fact]
    public async Task Sends_of_one_account_start_a_gap_apart_on_the_silos_clock()
    {
        var account = await cluster.OnlineAsync("1688850000000001", "corp-pacing");
        for (var i = 0; i < 5; i++) await account.EnqueueAsync(Scenario.Text("1688850000000001", $"m{i}"), null);

        await ScenarioCluster.WaitUntilAsync(() => cluster.SendsOf("1688850000000001").Count == 5, TimeSpan.FromSeconds(10));

        var at = cluster.SendsOf("1688850000000001");
        var gaps = at.Zip(at.Skip(1), (a, b) => b - a).ToList();
        // Never early (the host stamps on another clock read, so a millisecond of slack); how close to the gap they stay is
        // a speed figure, which the send benchmark prints.
        Assert.All(gaps, g => Assert.True(g >= Gap - TimeSpan.FromMilliseconds(1), $"a gap of {g.TotalMilliseconds:F1} ms"));
        Assert.True(at[^1] - at[0] < Gap * 8, "four gaps took longer than eight");
    }

    [Fact]
    public async Task Two_accounts_send_side_by_side_each_at_its_own_pace()
    {
        var a = await cluster.OnlineAsync("1688850000000002", "corp-pacing");
        var b = await cluster.OnlineAsync("1688850000000003", "corp-pacing");
        for (var i = 0; i < 3; i++)
        {
            await a.EnqueueAsync(Scenario.Text("1688850000000002", $"a{i}"), null);
            await b.EnqueueAsync(Scenario.Text("1688850000000003", $"b{i}"), null);
        }

        await ScenarioCluster.WaitUntilAsync(() => cluster.SendsOf("1688850000000002").Count == 3 && cluster.SendsOf("1688850000000003").Count == 3,
            TimeSpan.FromSeconds(10));

        var first = cluster.SendsOf("1688850000000002");
        var second = cluster.SendsOf("1688850000000003");
        // Three sends each took two gaps, not five: the accounts did not wait for each other.
        Assert.True(first[^1] - first[0] < Gap * 3);
        Assert.True(second[^1] - second[0] < Gap * 3);
        Assert.True((second[0] - first[0]).Duration() < Gap);
    }
}

[Collection(ScenarioCluster.Collection)]
public sealed class BudgetScenarios(BudgetScenarios.Cluster cluster) : IClassFixture<BudgetScenarios.Cluster>
{
    public sealed class Cluster : ScenarioCluster
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("WeCom:Limits:CorpSendsPerWindow", "3"),
            new("WeCom:Limits:CorpWindow", "00:00:02"),
            new("WeCom:Limits:LeaseDuration", "00:00:01"),
        ];
    }

    [Fact]
    public async Task A_corps_accounts_share_its_budget_of_3_per_2_s_and_the_rest_wait_until_it_frees()
    {
        var a = await cluster.OnlineAsync("1688850000000011", "corp-budget");
        var b = await cluster.OnlineAsync("1688850000000012", "corp-budget");
        for (var i = 0; i < 4; i++)
        {
            await a.EnqueueAsync(Scenario.Text("1688850000000011", $"a{i}"), null);
            await b.EnqueueAsync(Scenario.Text("1688850000000012", $"b{i}"), null);
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(3, cluster.Host.Sends.Count);

        await ScenarioCluster.WaitUntilAsync(() => cluster.Host.Sends.Count == 8, TimeSpan.FromSeconds(30));
        var at = cluster.Host.Sends.Select(s => s.At).Order().ToList();
        foreach (var end in at)
            Assert.True(at.Count(t => t > end - TimeSpan.FromSeconds(2) && t <= end) <= 3, $"more than 3 sends in the 2 s before {end:O}");
        Assert.NotEmpty(cluster.SendsOf("1688850000000011"));
        Assert.NotEmpty(cluster.SendsOf("1688850000000012"));
    }
}

[Collection(ScenarioCluster.Collection)]
public sealed class ZombieScenarios(ZombieScenarios.Cluster cluster) : IClassFixture<ZombieScenarios.Cluster>
{
    public sealed class Cluster : ScenarioCluster
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("WeCom:Limits:ZombieFailureThreshold", "3"),
            new("WeCom:Limits:ZombieRestartCooldown", "00:01:00"),
            new("WeCom:Limits:FrequencyBackoff", "00:00:00.1"),
            new("WeCom:Limits:MaxBackoff", "00:00:00.2"),
        ];
    }

    private const string WxId = "1688850000000021";
    private const string HostName = "zombie0000001";

    [Fact]
    public async Task An_account_online_whose_sends_keep_failing_is_restarted_once_within_the_cooldown()
    {
        var container = cluster.Grains.GetGrain<IContainerGrain>(HostName);
        await container.InitializeAsync(new TenantId("tenant-s"), "u-s", "scripted", "qr/zombie.png", "1.0", 1, "2026-12-04 08:00:00");
        var profile = new AccountProfile(new WxId(WxId), new CorpId("corp-zombie"));
        await container.ApplyAsync(new LifecycleSignal.UserLogin(profile), DateTimeOffset.UtcNow);
        cluster.Host.Failing = true;
        await cluster.Grains.GetGrain<IAccountGrain>(WxId).EnqueueAsync(Scenario.Text(WxId, "never arrives"), null);

        await ScenarioCluster.WaitUntilAsync(() => !cluster.Host.Restarts.IsEmpty, TimeSpan.FromSeconds(20));
        Assert.Equal(HostName, Assert.Single(cluster.Host.Restarts));
        Assert.True(Assert.Single(cluster.Alerts("zombie")).GetProperty("restarting").GetBoolean());
        Assert.Contains("restarted automatically", (await container.GetHistoryAsync())[^1].Reason);

        // Back online within the cooldown and still failing: reported again, not restarted again.
        await container.ApplyAsync(new LifecycleSignal.UserLogin(profile), DateTimeOffset.UtcNow);
        await ScenarioCluster.WaitUntilAsync(() => cluster.Alerts("zombie").Count == 2, TimeSpan.FromSeconds(20));
        Assert.False(cluster.Alerts("zombie")[1].GetProperty("restarting").GetBoolean());
        Assert.Single(cluster.Host.Restarts);
    }
}

[Collection(ScenarioCluster.Collection)]
public sealed class LoginDeadlineScenarios(LoginDeadlineScenarios.Cluster cluster) : IClassFixture<LoginDeadlineScenarios.Cluster>
{
    /// <summary>Deadlines of seconds.</summary>
    public sealed class Cluster : ScenarioCluster
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("WeCom:Lifecycle:LoginDeadline", "00:00:02"),
            new("WeCom:Lifecycle:HealthCheckInterval", "00:00:00.5"),
        ];
    }

    [Fact]
    public async Task A_login_that_outlasts_its_deadline_is_reported_stuck_once()
    {
        var container = cluster.Grains.GetGrain<IContainerGrain>("stuck00000001");
        await container.InitializeAsync(new TenantId("tenant-s"), "u-s", "scripted", "qr/stuck.png", "1.0", 1, "2026-12-04 08:00:00");

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Empty(cluster.Alerts("login_stuck"));

        await ScenarioCluster.WaitUntilAsync(() => cluster.Alerts("login_stuck").Count > 0, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(cluster.Alerts("login_stuck"));
    }
}

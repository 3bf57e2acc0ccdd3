namespace OrleansWeCom.Tests.Scenarios;

/// <summary>The account grain gives unused budget tokens back to its corp, so the corp's other accounts need not wait.</summary>
[Collection(ScenarioCluster.Collection)]
public sealed class BudgetReturnScenarios(BudgetReturnScenarios.Cluster cluster) : IClassFixture<BudgetReturnScenarios.Cluster>
{
    public sealed class Cluster : ScenarioCluster
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("WeCom:Limits:CorpSendsPerWindow", "3"),
            new("WeCom:Limits:CorpWindow", "00:00:20"),
            new("WeCom:Limits:LeaseDuration", "00:00:05"),
        ];
    }

    private const string A = "1688850000000031", B = "1688850000000032", Corp = "corp-return";

    [Fact]
    public async Task Tokens_of_an_account_gone_offline_serve_its_corp_s_other_account_at_once()
    {
        // A holds the whole budget (three tokens for its three sends) and goes offline after its first send.
        var a = cluster.Grains.GetGrain<IAccountGrain>(A);
        await a.BindAsync(Binding(A, ContainerStatus.Offline));
        await a.EnqueueManyAsync([Scenario.Text(A, "a0"), Scenario.Text(A, "a1"), Scenario.Text(A, "a2")]);
        await a.BindAsync(Binding(A, ContainerStatus.Online));
        await ScenarioCluster.WaitUntilAsync(() => cluster.SendsOf(A).Count >= 1, TimeSpan.FromSeconds(10));
        await a.BindAsync(Binding(A, ContainerStatus.Offline));
        var sentByA = cluster.SendsOf(A).Count;
        Assert.InRange(sentByA, 1, 2);

        var b = await cluster.OnlineAsync(B, Corp);
        var asked = DateTimeOffset.UtcNow;
        await b.EnqueueAsync(Scenario.Text(B, "b0"), null);

        // Kept until their use-by time, A's tokens would hold the budget for 5 s plus the 20 s window.
        await ScenarioCluster.WaitUntilAsync(() => cluster.SendsOf(B).Count == 1, TimeSpan.FromSeconds(10));
        Assert.True(cluster.SendsOf(B)[0] - asked < TimeSpan.FromSeconds(5), $"b waited {(cluster.SendsOf(B)[0] - asked).TotalSeconds:0.0} s");
        Assert.Equal(sentByA, cluster.SendsOf(A).Count);
    }

    private static AccountBinding Binding(string wxId, ContainerStatus status) =>
        new(new HostName("h" + wxId[^8..]), "scripted", new TenantId("tenant-s"), "u-s", status, new CorpId(Corp));
}

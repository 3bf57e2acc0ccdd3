using OrleansWeCom.Testing.Chaos;
using OrleansWeCom.Tests.Infrastructure;
using OrleansWeCom.Tests.Storage;
using Xunit.Abstractions;

namespace OrleansWeCom.Tests.EndToEnd;

/// <summary>
/// Three silos on PostgreSQL as separate processes under send and callback load, one of them killed with SIGKILL and
/// restarted, three times over, then each restarted gracefully in turn: nothing lost, nothing doubled, WeCom's limits
/// kept, sends back within 10 s of each fault. The benchmark's <c>chaos</c> mode runs the same harness at length.
/// </summary>
[Collection(HostProcessCollection.Name)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Three_silos_on_PostgreSQL_survive_kill_9_and_a_rolling_restart_keeping_every_invariant()
    {
        // Without a PostgreSQL server (WECOM_TEST_POSTGRES, which scripts/test.sh sets) there is no cluster to run.
        if (Environment.GetEnvironmentVariable(PostgreSqlTestDatabase.EnvironmentVariable) is not { Length: > 0 } server)
        {
            output.WriteLine($"skipped: {PostgreSqlTestDatabase.EnvironmentVariable} is not set");
            return;
        }

        // Small enough for two cores in under three minutes: 8 accounts sending at their pace within a budget that binds
        // (60 per 10 s per corp of 4 accounts, against 80 at pace), 15 inbound messages a second, callbacks to one live silo.
        var options = new ChaosOptions
        {
            Accounts = 8, Corps = 2, CorpBudget = 60, CorpWindow = TimeSpan.FromSeconds(10), CallbacksPerSecond = 15,
            Kills = 3, Between = TimeSpan.FromSeconds(4), Down = TimeSpan.FromSeconds(2), MinSends = 200, MinCallbacks = 300,
            StickyCallbacks = true, Log = line => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}"),
        };
        await using var cluster = await ChaosCluster.StartAsync(options, server);
        ChaosReport report;
        try
        {
            report = await new ChaosRun(cluster).ExecuteAsync();
        }
        finally
        {
            foreach (var silo in cluster.Silos) output.WriteLine($"silo {silo.Index} warnings:\n{silo.Tail}");
        }

        output.WriteLine(report.ToString());
        Assert.Equal(3, report.Kills);
        Assert.Equal(3, report.GracefulRestarts);
        Assert.True(report.SendsAtHost >= options.MinSends, $"too few sends reached the host: {report.SendsAtHost}");
        Assert.True(report.InboundAcked >= options.MinCallbacks, $"too few callbacks acknowledged: {report.InboundAcked}");
        Assert.True(report.HostRepeats > 0, "the host repeated no callback: de-duplication went untested");
        Assert.Empty(report.Violations(TimeSpan.FromSeconds(10)));
    }
}

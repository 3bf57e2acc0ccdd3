using OrleansWeCom.Testing.Chaos;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// The chaos test at length: three silos on PostgreSQL (<c>WECOM_TEST_POSTGRES</c> names the server; a throw-away
/// database is made on it), kill -9 of one silo after another under send and callback load, a rolling restart, then
/// every invariant's figure and the resume time after each fault.
/// </summary>
public static class ChaosBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (Environment.GetEnvironmentVariable("WECOM_TEST_POSTGRES") is not { Length: > 0 } server)
        {
            Console.Error.WriteLine("chaos needs a PostgreSQL server: set WECOM_TEST_POSTGRES (see scripts/test.sh for a throw-away one)");
            return 2;
        }

        var options = new ChaosOptions
        {
            Silos = Arg(args, "--silos", 3),
            Accounts = Arg(args, "--accounts", 40),
            Corps = Arg(args, "--corps", 4),
            Kills = Arg(args, "--kills", 10),
            Between = TimeSpan.FromSeconds(Arg(args, "--between-seconds", 20)),
            Down = TimeSpan.FromSeconds(Arg(args, "--down-seconds", 3)),
            MinSends = Arg(args, "--sends", 20_000),
            MinCallbacks = Arg(args, "--callbacks", 100_000),
            CallbacksPerSecond = Arg(args, "--callback-rate", 150),
            CorpBudget = Arg(args, "--budget", 180),
            CorpWindow = TimeSpan.FromSeconds(Arg(args, "--window-seconds", 10)),
            StickyCallbacks = !args.Contains("--spread-callbacks"),
            Log = line => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {line}"),
        };
        await using var cluster = await ChaosCluster.StartAsync(options, server);
        var report = await new ChaosRun(cluster).ExecuteAsync();
        Console.WriteLine(report);
        var violations = report.Violations(TimeSpan.FromSeconds(10));
        Console.WriteLine(violations.Count == 0 ? "  every invariant held" : "  VIOLATED:\n    " + string.Join("\n    ", violations));
        Console.WriteLine($"  conditions: {options.Silos} host processes (Release, PostgreSQL), emulator, balancer and load in the benchmark process, " +
            $"{options.Accounts} accounts in {options.Corps} corps, budget {options.CorpBudget} per {options.CorpWindow.TotalSeconds:F0} s, " +
            $"callbacks {(options.StickyCallbacks ? "to one live silo" : "spread over the silos")}, {Environment.ProcessorCount} cores shared with other work");
        return violations.Count == 0 ? 0 : 1;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}

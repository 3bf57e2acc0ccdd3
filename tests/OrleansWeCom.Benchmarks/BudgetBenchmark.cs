using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using OrleansWeCom.Grains.Sending;
using OrleansWeCom.Testing;

namespace OrleansWeCom.Benchmarks;

/// <summary>
/// The corp budget under saturating demand: N accounts of one corp, each with more queued than the budget allows, send
/// as the account grain does against <see cref="CorpBudget"/> on a simulated clock, so hours of sending take seconds.
/// Prints how full the rolling windows after the first were (busiest, median, least) and the overshoot.
/// </summary>
public static class BudgetBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var budget = Arg(args, "--budget", "40", int.Parse);
        var window = Arg(args, "--window", "10s", Duration);
        var accounts = Arg(args, "--accounts", "3", int.Parse);
        var windows = Arg(args, "--windows", "4", int.Parse);
        var roundTrip = Arg(args, "--round-trip", "0ms", Duration);
        var options = new SendingOptions { CorpSendsPerWindow = budget, CorpWindow = window };
        if (Arg<TimeSpan?>(args, "--lease", null, s => Duration(s)) is { } lease) options.LeaseDuration = lease;

        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var run = window * windows;
        // Each account could fill the budget alone over the whole run: demand never runs out.
        var queued = (int)Math.Min(int.MaxValue, (long)(run / options.AccountSendInterval) + 1);
        var simulation = new BudgetSimulation(options, accounts, queued, time, roundTrip);
        var wall = Stopwatch.StartNew();
        simulation.Run(run);
        wall.Stop();

        var figures = WindowUtilisation.Of(simulation.Sends, budget, window, start, start + run);
        Console.WriteLine($"budget: {budget} sends per {Show(window)} shared by {accounts} accounts, each sending at most every " +
            $"{options.AccountSendInterval.TotalMilliseconds:0} ms with more queued than the budget allows; leases of {Show(options.EffectiveLeaseDuration)}, " +
            $"up to {options.TokensPerLease} tokens");
        Console.WriteLine($"  simulated clock: {windows} windows ({Show(run)}) of CorpBudget, LocalLease and the accounts' turns in " +
            $"{wall.Elapsed.TotalSeconds:0.0} s of wall time; the host answers {roundTrip.TotalMilliseconds:0} ms after a call starts, sends counted at their start");
        var capacity = accounts * (int)(window / (options.AccountSendInterval + roundTrip));
        if (capacity < budget) Console.WriteLine($"  demand is below the budget: {accounts} accounts can send at most {capacity} per window");
        Console.WriteLine($"  sends {simulation.Sends.Count}, budget requests {simulation.Requests} ({(double)simulation.Requests / Math.Max(1, simulation.Sends.Count):0.00} per send)");
        Console.WriteLine($"  rolling windows after the first: busiest {figures.Busiest:0.0000}, median {figures.Median:0.0000}, " +
            $"least {figures.Least:0.0000} of the budget; overshoot {figures.Overshoot} (most in a window {figures.MostInAWindow})");
        return Task.FromResult(figures.Overshoot == 0 && figures.Least >= 0.99 ? 0 : 1);
    }

    private static T Arg<T>(string[] args, string name, string? fallback, Func<string, T> parse)
    {
        var i = Array.IndexOf(args, name);
        var text = i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        return text is null ? default! : parse(text);
    }

    /// <summary>"10s", "90m", "1h", "500ms" or a TimeSpan.</summary>
    private static TimeSpan Duration(string text)
    {
        foreach (var (unit, scale) in new[] { ("ms", 1.0 / 1000), ("s", 1), ("m", 60), ("h", 3600) })
            if (text.EndsWith(unit, StringComparison.Ordinal) && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                return TimeSpan.FromSeconds(n * scale);
        return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
    }

    private static string Show(TimeSpan span) =>
        span >= TimeSpan.FromHours(1) && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0} h"
        : span >= TimeSpan.FromMinutes(1) && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds:0.###} s";
}

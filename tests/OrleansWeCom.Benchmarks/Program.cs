// Benchmark programs: each mode prints its figures and the conditions they were measured under.
// Usage: dotnet run -c Release --project tests/OrleansWeCom.Benchmarks -- <mode> [options]
using System.Diagnostics;
using System.Runtime;
using OrleansWeCom.Benchmarks;

var mode = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();

// The ingest benchmark hosts the silo in this process, so it collects garbage as the host does (server GC: workstation
// GC's pauses doubled its p99). The other modes keep workstation GC, which suits their client and emulator better.
if (mode == "ingest" && !GCSettings.IsServerGC && Environment.GetEnvironmentVariable("DOTNET_gcServer") is null)
{
    var self = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") self.ArgumentList.Add(typeof(IngestBenchmark).Assembly.Location);
    foreach (var arg in args) self.ArgumentList.Add(arg);
    self.Environment["DOTNET_gcServer"] = "1";
    using var child = Process.Start(self)!;
    await child.WaitForExitAsync();
    return child.ExitCode;
}

return mode switch
{
    "emulator" => await EmulatorBenchmark.RunAsync(rest),
    "login" => await HostBenchmark.RunLoginAsync(rest),
    "send" => await HostBenchmark.RunSendAsync(rest),
    "ingest" => await IngestBenchmark.RunAsync(rest),
    "budget" => await BudgetBenchmark.RunAsync(rest),
    "chaos" => await ChaosBenchmark.RunAsync(rest),
    "eventlog" => await EventLogBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("modes: emulator | login | send | ingest | eventlog | budget | chaos");
    return 2;
}

// Benchmark programs: each mode prints its figures and the conditions they were measured under.
// Usage: dotnet run -c Release --project tests/OrleansWeCom.Benchmarks -- <mode> [options]
using OrleansWeCom.Benchmarks;

var mode = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
return mode switch
{
    "emulator" => await EmulatorBenchmark.RunAsync(rest),
    "login" => await HostBenchmark.RunLoginAsync(rest),
    "send" => await HostBenchmark.RunSendAsync(rest),
    "ingest" => await IngestBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("modes: emulator | login | send | ingest");
    return 2;
}

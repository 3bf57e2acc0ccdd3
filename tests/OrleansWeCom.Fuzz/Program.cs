using OrleansWeCom.Fuzz;

// OrleansWeCom.Fuzz <target> afl             : under afl-fuzz, on instrumented assemblies (scripts/fuzz.sh)
// OrleansWeCom.Fuzz <target> libfuzzer       : under libfuzzer-dotnet
// OrleansWeCom.Fuzz <target> run [N] [corpus] : N mutations of the corpus in this process, no coverage feedback
if (args.Length < 2 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: OrleansWeCom.Fuzz <{string.Join('|', Targets.All.Keys)}> <afl|libfuzzer|run> [executions] [corpus dir]");
    return 2;
}

switch (args[1])
{
    case "afl":
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target(copy.ToArray());
        });
        return 0;
    case "libfuzzer":
        SharpFuzz.Fuzzer.LibFuzzer.Run(span => target(span.ToArray()));
        return 0;
    case "run":
        var executions = args.Length > 2 ? long.Parse(args[2]) : 1_000_000;
        var corpus = args.Length > 3 ? args[3] : Path.Combine(AppContext.BaseDirectory, "Corpus", args[0]);
        return Mutations.Run(args[0], target, corpus, executions);
    default:
        Console.Error.WriteLine($"unknown mode '{args[1]}'");
        return 2;
}

namespace OrleansWeCom.Benchmarks;

public static class EmulatorBenchmark
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(0);
}

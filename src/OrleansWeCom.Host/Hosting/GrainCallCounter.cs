namespace OrleansWeCom.Host.Hosting;

/// <summary>Counts grain calls handled by this silo, for the operator's stats and the benchmarks.</summary>
public sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    private long _calls;

    public long Calls => Interlocked.Read(ref _calls);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        Interlocked.Increment(ref _calls);
        return context.Invoke();
    }
}

using OrleansWeCom.Gateway.Hosting;

namespace OrleansWeCom.Tests.Host;

public sealed class BackgroundThreadsTests
{
    /// <summary>The thread's own nice value, as the kernel reports it (field 19 of its stat line).</summary>
    private static int NiceOfCurrentThread()
    {
        var stat = File.ReadAllText($"/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16]);
    }

    [Fact]
    public void A_background_thread_runs_nicer_than_the_process_and_leaves_the_others_as_they_were()
    {
        if (!OperatingSystem.IsLinux()) return;
        var before = NiceOfCurrentThread();
        int? lowered = null;
        var thread = new Thread(() =>
        {
            BackgroundThreads.LowerPriorityOfCurrentThread();
            lowered = NiceOfCurrentThread();
        });
        thread.Start();
        thread.Join();

        Assert.Equal(Math.Min(19, before + BackgroundThreads.DefaultNiceIncrement), lowered);
        Assert.Equal(before, NiceOfCurrentThread());
    }
}

using OrleansWeCom.Storage.Threading;

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

    [Fact]
    public async Task A_loop_on_the_background_scheduler_comes_back_to_its_one_nicer_thread_after_every_await()
    {
        using var scheduler = new BackgroundScheduler("test-background");
        var threads = new HashSet<int>();
        var nices = new HashSet<int>();
        var channel = System.Threading.Channels.Channel.CreateUnbounded<int>();
        var loop = scheduler.Run(async () =>
        {
            while (await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out _))
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    if (OperatingSystem.IsLinux()) nices.Add(NiceOfCurrentThread());
                }

                await Task.Delay(1);
                threads.Add(Environment.CurrentManagedThreadId);
            }
        });
        for (var i = 0; i < 20; i++)
        {
            await channel.Writer.WriteAsync(i);
            await Task.Delay(2);
        }

        channel.Writer.Complete();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Single(threads);
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads.Single());
        if (OperatingSystem.IsLinux()) Assert.Equal(Math.Min(19, NiceOfCurrentThread() + BackgroundThreads.DefaultNiceIncrement), Assert.Single(nices));
    }
}

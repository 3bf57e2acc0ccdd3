using System.Runtime.InteropServices;

namespace OrleansWeCom.Storage.Threading;

/// <summary>
/// Lets the dedicated threads of background work (the inbox's and the event log's writers, the SQLite checkpointer) yield
/// the processors to latency-bound work: the send clock, Kestrel and the grains. Their work is not on a send's path, and
/// a writer that runs a little later writes larger batches. The README's benchmark table has the figures.
/// </summary>
public static class BackgroundThreads
{
    /// <summary>The environment variable that sets how many steps nicer the threads run (0 leaves them as they are).</summary>
    public const string NiceVariable = "WECOM_BACKGROUND_NICE";

    /// <summary>How many steps nicer than the process the threads run by default (Linux nice; 19 is the lowest priority).</summary>
    public const int DefaultNiceIncrement = 10;

    /// <summary>
    /// Lowers the calling thread's scheduling priority on Linux, where every thread has a nice value of its own; elsewhere,
    /// or when the system refuses, nothing changes. Lowering it needs no privilege.
    /// </summary>
    public static void LowerPriorityOfCurrentThread()
    {
        var increment = int.TryParse(Environment.GetEnvironmentVariable(NiceVariable), out var configured) ? Math.Clamp(configured, 0, 39) : DefaultNiceIncrement;
        if (!OperatingSystem.IsLinux() || increment == 0) return;
        try
        {
            var tid = gettid();
            _ = setpriority(PrioProcess, tid, Math.Min(19, getpriority(PrioProcess, tid) + increment));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    private const int PrioProcess = 0;

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the project, for three blittable calls
    [DllImport("libc", SetLastError = true)]
    private static extern int gettid();

    [DllImport("libc", SetLastError = true)]
    private static extern int getpriority(int which, int who);

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int prio);
#pragma warning restore SYSLIB1054
}

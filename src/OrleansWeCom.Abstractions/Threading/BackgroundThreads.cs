using System.Runtime.InteropServices;

namespace OrleansWeCom.Threading;

/// <summary>
/// Lets the silo's dedicated threads of background work (the inbox writer, the event log's writer, the SQLite
/// checkpointer) yield the processors to latency-bound work: the send clock, Kestrel and the grains.
/// </summary>
/// <remarks>
/// On a busy two-core silo every hop of a send waits in a run queue. With the inbox writer and the checkpointer ten steps
/// nicer, the 1,000-account send benchmark reached 0.974, 0.975 and 0.983 of the limit against 0.966 and 0.966 without
/// (runs alternated): their work is not on a send's path, and a writer that runs a little later writes larger batches.
/// </remarks>
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

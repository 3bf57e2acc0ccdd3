using System.Runtime.InteropServices;

namespace OrleansWeCom.Threading;

/// <summary>
/// Sleeps for less than a few milliseconds to within tens of microseconds. <see cref="Monitor.Wait(object, int)"/> and
/// <see cref="Thread.Sleep(int)"/> take whole milliseconds, so a thread that must act at a moment wakes up to a millisecond
/// off it; on Linux this sleeps with <c>nanosleep</c>, which the kernel ends within its timer slack (50 µs by default).
/// </summary>
public static class PreciseSleep
{
    /// <summary>
    /// Sleeps about <paramref name="duration"/>; it may end early (a signal), so the caller checks its clock again. Not for
    /// long waits: nothing can wake the thread before the time is up.
    /// </summary>
    public static void For(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return;
        if (OperatingSystem.IsLinux())
        {
            var request = new Timespec(duration.Ticks / TimeSpan.TicksPerSecond, duration.Ticks % TimeSpan.TicksPerSecond * 100);
            _ = nanosleep(ref request, IntPtr.Zero);
            return;
        }

        // Elsewhere: give the processor away until the time is up, without the millisecond sleeps of SpinWait.
        var until = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < until) Thread.Yield();
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Timespec(long Seconds, long Nanoseconds);

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the project, for one blittable call
    [DllImport("libc", SetLastError = true)]
    private static extern int nanosleep(ref Timespec request, IntPtr remaining);
#pragma warning restore SYSLIB1054
}

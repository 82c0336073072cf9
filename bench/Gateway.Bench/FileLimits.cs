using System.Runtime.InteropServices;

namespace Gateway.Bench;

/// <summary>
/// The bench's open-file limit (RLIMIT_NOFILE), raised to the hard limit at start: the open-streams scenario
/// holds 10,000 sockets in this process, and the systems it starts inherit the raised soft limit.
/// </summary>
internal static class FileLimits
{
    private const int NoFile = 7; // RLIMIT_NOFILE on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // a two-field struct; source-generated marshalling would need unsafe code in the bench for nothing
    private static extern int getrlimit(int resource, out RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);
#pragma warning restore SYSLIB1054

    /// <summary>The current soft limit (0 where unknown).</summary>
    public static ulong Current => OperatingSystem.IsLinux() && getrlimit(NoFile, out var limit) == 0 ? limit.Current : 0;

    /// <summary>Raises the soft limit to the hard one; returns the limit now in force.</summary>
    public static ulong RaiseToHard()
    {
        if (!OperatingSystem.IsLinux() || getrlimit(NoFile, out var limit) != 0)
        {
            return 0;
        }
        if (limit.Current < limit.Maximum)
        {
            limit.Current = limit.Maximum;
            if (setrlimit(NoFile, ref limit) != 0)
            {
                Console.Error.WriteLine($"bench: could not raise the open-file limit (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        return Current;
    }
}

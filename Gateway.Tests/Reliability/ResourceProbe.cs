using System.Diagnostics;
using System.Globalization;

namespace Gateway.Tests.Reliability;

/// <summary>What the gateway's process holds at one moment: managed heap after a full GC, threads, sockets.</summary>
internal readonly record struct ResourceSnapshot(long HeapBytes, int PoolThreads, int ProcessThreads, int Sockets)
{
    public override string ToString() =>
        $"heap {HeapBytes / (1024.0 * 1024):0.0} MB, pool threads {PoolThreads}, process threads {ProcessThreads}, sockets {Sockets}";
}

/// <summary>
/// Reads the test process's resources (the front runs in it): GC heap, ThreadPool.ThreadCount, socket
/// file descriptors (/proc/self/fd), and TCP connections by port (/proc/net/tcp, tcp6). Linux only,
/// like the CI machines.
/// </summary>
internal static class ResourceProbe
{
    public static ResourceSnapshot Take()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        using var process = Process.GetCurrentProcess();
        return new ResourceSnapshot(GC.GetTotalMemory(forceFullCollection: true), ThreadPool.ThreadCount, process.Threads.Count, OpenSockets());
    }

    /// <summary>Waits (up to <paramref name="within"/>) for closing sockets to go, then takes a snapshot.</summary>
    public static async Task<ResourceSnapshot> SettleAsync(TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var last = OpenSockets();
        while (clock.Elapsed < within)
        {
            await Task.Delay(200);
            var now = OpenSockets();
            if (now >= last && clock.Elapsed > TimeSpan.FromSeconds(1))
            {
                break;
            }
            last = now;
        }
        return Take();
    }

    public static int OpenSockets() =>
        Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Count(fd =>
            {
                try
                {
                    return new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
                }
                catch (IOException)
                {
                    return false; // closed while we looked
                }
            });

    /// <summary>ESTABLISHED TCP connections whose local or remote port is <paramref name="port"/>.</summary>
    public static int ConnectionsOnPort(int port)
    {
        var count = 0;
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "01")
                {
                    continue; // not ESTABLISHED (listening, or closing: TIME_WAIT and the like)
                }
                if (Port(fields[1]) == port || Port(fields[2]) == port)
                {
                    count++;
                }
            }
        }
        return count;
    }

    private static int Port(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace Gateway.Bench;

/// <summary>
/// CPU time a process and everything it started has used (utime + stime of /proc/&lt;pid&gt;/stat, summed over
/// the process tree: nginx's workers, Portkey's node child), for the bench's CPU-per-request figures.
/// </summary>
internal static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ; 100 on every Linux the bench runs on

    /// <summary>CPU seconds used so far by <paramref name="pids"/> and their descendants; 0 where /proc is absent.</summary>
    public static double Seconds(IEnumerable<int> pids)
    {
        var total = 0.0;
        foreach (var pid in Tree(pids))
        {
            if (Stat(pid) is { } stat)
            {
                total += (stat.UTime + stat.STime) / TicksPerSecond;
            }
        }
        return total;
    }

    /// <summary>The processes and their descendants (the tree as it stands now).</summary>
    public static HashSet<int> Tree(IEnumerable<int> roots)
    {
        var tree = new HashSet<int>(roots);
        if (!Directory.Exists("/proc"))
        {
            return tree;
        }
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } stat)
            {
                parents[pid] = stat.ParentId;
            }
        }
        bool grew;
        do
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                if (tree.Contains(parent) && tree.Add(pid))
                {
                    grew = true;
                }
            }
        }
        while (grew);
        return tree;
    }

    /// <summary>Resident set (VmRSS) and thread count summed over the tree.</summary>
    public static (long ResidentBytes, int Threads) Footprint(IEnumerable<int> pids)
    {
        long resident = 0;
        var threads = 0;
        foreach (var pid in Tree(pids))
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        resident += long.Parse(line.AsSpan(6).Trim()[..^3].Trim(), CultureInfo.InvariantCulture) * 1024;
                    }
                    else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    {
                        threads += int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
            }
        }
        return (resident, threads);
    }

    private static (int ParentId, long UTime, long STime)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name is in parentheses and may hold spaces: fields are counted after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // After the name: state(0) ppid(1) ... utime(11) stime(12).
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[11], CultureInfo.InvariantCulture), long.Parse(fields[12], CultureInfo.InvariantCulture));
    }
}

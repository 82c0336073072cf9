using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gateway.Bench;

/// <summary>What the figures were measured on, and how busy the machine was meanwhile (1-minute load average every 5 s).</summary>
internal sealed class Machine : IAsyncDisposable
{
    private readonly List<double> _load = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly DateTime _started = DateTime.UtcNow;

    public Machine()
    {
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                if (LoadAverage() is { } load)
                {
                    lock (_load)
                    {
                        _load.Add(load);
                    }
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    /// <summary>True when the 1-minute load average stayed above the core count for most of the run: figures are noisy.</summary>
    public bool Busy
    {
        get
        {
            lock (_load)
            {
                return _load.Count > 0 && Stats.Median(_load) > Environment.ProcessorCount;
            }
        }
    }

    public string Describe(string? nginx, string? portkey)
    {
        double[] load;
        lock (_load)
        {
            load = [.. _load];
        }
        var loadText = load.Length == 0 ? "n/a"
            : $"min {load.Min():0.00}, median {Stats.Median(load):0.00}, max {load.Max():0.00} ({load.Length} samples)";
        var busy = Busy
            ? $"\n\n**Noisy run**: the machine was busy with other work (median load average above its {Environment.ProcessorCount} cores); compare systems within this run, not with other runs."
            : "";
        return $"""
            - CPUs: {Environment.ProcessorCount} (`nproc`), {CpuModel()}; memory {MemoryGiB()}
            - OS: {RuntimeInformation.OSDescription}; .NET {Environment.Version} (server GC in the gateway processes, the ASP.NET Core default)
            - nginx: {nginx ?? "not installed"}; Portkey gateway: {(portkey is null ? "not installed" : portkey + $" on Node {NodeVersion()}")}
            - 1-minute load average during the run: {loadText}
            - run: {_started:yyyy-MM-dd HH:mm} UTC, {(DateTime.UtcNow - _started).TotalMinutes:0.0} min
            """ + busy;
    }

    private static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "CPU model unknown";
        }
        catch (IOException)
        {
            return "CPU model unknown";
        }
    }

    private static string MemoryGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kib = long.Parse(line["MemTotal:".Length..].Trim()[..^3].Trim());
            return $"{kib / 1024.0 / 1024.0:0.0} GiB";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return "unknown";
        }
    }

    private static string NodeVersion()
    {
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            var version = node.StandardOutput.ReadToEnd().Trim();
            node.WaitForExit();
            return version;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "?";
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _sampler;
        _stop.Dispose();
    }
}

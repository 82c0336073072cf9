using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench;

/// <summary>A server the bench starts and stops: its own process, its own loopback port.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Id => _process.Id;

    /// <summary>A .NET server: <c>dotnet &lt;dll&gt; args</c>.</summary>
    public static Task<ChildProcess> StartAsync(string dll, IEnumerable<string> args, IDictionary<string, string> env, int port,
        string probePath = "", bool http2Only = false) =>
        StartProgramAsync("dotnet", [dll, .. args], env, port, probePath, http2Only);

    /// <summary>Any server program; ready once <c>GET probePath</c> on its port answers 2xx (30 s at most).</summary>
    public static async Task<ChildProcess> StartProgramAsync(string program, IEnumerable<string> args, IDictionary<string, string> env, int port,
        string probePath = "", bool http2Only = false)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        var name = Path.GetFileName(program == "dotnet" ? start.ArgumentList[0] : program);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{name}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        if (http2Only)
        {
            // h2c: HTTP/2 with prior knowledge, the only way an HTTP/2-only listener on plain http answers.
            probe.DefaultRequestVersion = System.Net.HttpVersion.Version20;
            probe.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
        {
            try
            {
                using var response = await probe.GetAsync(new Uri(address, probePath));
                if (response.IsSuccessStatusCode)
                {
                    return new ChildProcess(process, address);
                }
                await Task.Delay(100);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }
        if (!process.HasExited)
        {
            process.Kill(true);
        }
        throw new TimeoutException($"{name} did not start on port {port}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Resident set size of the process (Linux: VmRSS), in bytes; 0 where unknown.</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim()[..^3].Trim()) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

using System.Diagnostics;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A <c>redis-server</c> of this test's own, on a free loopback port, for tests that stop and restart it
/// (the Redis of <see cref="TestRedis"/> is shared by every test class running in parallel, so it must
/// never go down). Append-only file on, in a directory of its own, so a restart keeps the membership
/// table as a production Redis with persistence would. The process is a child of the test (not
/// daemonized): it is stopped by its own id, and deleted with its directory on dispose.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private readonly string _directory;
    private Process? _process;

    private PrivateRedis(int port, string directory)
    {
        Port = port;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary><c>host:port</c>, as <c>Cluster:RedisConnectionString</c> takes it.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public string LogPath => Path.Combine(_directory, "redis.log");

    public static async Task<PrivateRedis> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("gw-private-redis-").FullName;
        var redis = new PrivateRedis(ClusterProcesses.FreePort(), directory);
        try
        {
            await redis.StartAgainAsync();
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again, on the same port and data directory) and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("redis-server is already running.");
        }
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
            "--dir", _directory, "--logfile", LogPath, "--daemonize", "no",
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (is it installed? apt-get install redis-server)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode}: {Tail()}");
            }
            if (await PingAsync())
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"redis-server did not answer PING within {StartTimeout.TotalSeconds:0} s: {Tail()}");
    }

    /// <summary>SIGKILL: gone at once (the append-only file keeps what was written, fsynced per write).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Answers whether a raw RESP PING gets PONG within a second (no client library needed).</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public string Tail(int lines = 20)
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(LogPath).TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}

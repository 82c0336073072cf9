using System.Diagnostics;
using Npgsql;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A Postgres server of this test's own (initdb + pg_ctl in a temporary directory, on a free loopback
/// port, as the <c>postgres</c> user when the tests run as root: the way <c>.ci/services.sh</c> starts
/// the shared one), for tests that stop and restart it: the server of <see cref="TestPostgres"/> is
/// shared by every test class running in parallel, so it must never go down. Stopped with
/// <c>pg_ctl stop -m immediate</c> and its directory deleted on dispose.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _directory;
    private readonly string _bin;

    private PrivatePostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
    }

    public int Port { get; }

    /// <summary>The maintenance database: the gateway's processes migrate their schema into it at start.</summary>
    public string ConnectionString { get; }

    private string DataDirectory => Path.Combine(_directory, "data");

    public string LogPath => Path.Combine(_directory, "postgres.log");

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : new Version(0, 0)).LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("Postgres binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql).");
        }
        var directory = Directory.CreateTempSubdirectory("gw-private-pg-").FullName;
        var postgres = new PrivatePostgres(bin, directory, ClusterProcesses.FreePort());
        try
        {
            if (IsRoot)
            {
                await RunAsync("chown", ["postgres", directory]);
            }
            await postgres.AsPostgresAsync("initdb", ["-D", postgres.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
            await postgres.StartAgainAsync();
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again, same port and data) and waits until it accepts connections.</summary>
    public Task StartAgainAsync() => AsPostgresAsync("pg_ctl",
        ["-D", DataDirectory, "-l", LogPath, "-w", "-t", "60", "-o",
         $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"]);

    /// <summary>
    /// Stops the server: <c>immediate</c> is a crash (connections cut, recovery on the next start),
    /// <c>fast</c> a clean stop that still ends every session at once.
    /// </summary>
    public Task StopAsync(string mode = "immediate") => AsPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", mode, "-w", "stop"]);

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

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

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopAsync();
            }
            catch (InvalidOperationException)
            {
            }
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsPostgresAsync(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_bin, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds:0} s");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}

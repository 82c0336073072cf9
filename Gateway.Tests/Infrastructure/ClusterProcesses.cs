using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Front.Upstreams;
using Gateway.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

public enum GatewayRole
{
    Silo,
    Front,
}

/// <summary>What <see cref="ClusterProcesses.StartAsync"/> starts and how it configures every process.</summary>
public sealed record ClusterProcessOptions
{
    public int Silos { get; init; } = 2;

    public int Fronts { get; init; } = 1;

    /// <summary>Redis for membership (required: processes meet only through it).</summary>
    public required string RedisConnectionString { get; init; }

    /// <summary>Passed as <c>Postgres__ConnectionString</c>; null keeps storage in memory.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Unique per run, so parallel runs and leftovers in Redis never meet.</summary>
    public string ClusterId { get; init; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Settings for every process, as configuration keys (<c>Upstream:BaseUrl</c>); they win over the defaults.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    public IReadOnlyDictionary<string, string?> SiloSettings { get; init; } = new Dictionary<string, string?>();

    public IReadOnlyDictionary<string, string?> FrontSettings { get; init; } = new Dictionary<string, string?>();

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Failure detection short enough for tests: a killed silo is voted dead after about 2 s
    /// (probe timeout 1 s × 2 misses; one vote suffices), clients re-read the gateway list every second.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> FastFailureDetection { get; } = new Dictionary<string, string?>
    {
        ["Cluster:Membership:ProbeTimeout"] = "00:00:01",
        ["Cluster:Membership:NumMissedProbesLimit"] = "2",
        ["Cluster:Membership:NumVotesForDeathDeclaration"] = "1",
        ["Cluster:Membership:IAmAliveTablePublishTimeout"] = "00:00:02",
        ["Cluster:Membership:TableRefreshTimeout"] = "00:00:02",
        ["Cluster:GatewayListRefreshPeriod"] = "00:00:01",
    };
}

/// <summary>
/// Real OS processes of the gateway, for multi-process tests: N silos (<c>Gateway.Silo.dll</c>) and M fronts
/// (<c>Gateway.Front.dll</c>), built in the test assembly's configuration, all on loopback with ports of their
/// own, meeting through Redis under a cluster id unique to this run. Each process's stdout and stderr go to a
/// log file (and memory); <see cref="Logs"/> returns them for assertion messages.
/// <para>
/// Indexes given to <see cref="Kill"/>, <see cref="TerminateAsync"/> and <see cref="RestartAsync"/> run over
/// <see cref="Processes"/>: silos first (0..N-1), then fronts (N..N+M-1); or use <see cref="Silos"/> and
/// <see cref="Fronts"/> and the process's own methods.
/// </para>
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly List<GatewayProcess> _processes = [];
    private readonly ClusterProcessOptions _options;

    // Fronts the test gives no upstream of their own talk to this one (a front outside Development embeds none).
    private FakeUpstreamServer? _fakeUpstream;

    private ClusterProcesses(ClusterProcessOptions options, string logDirectory)
    {
        _options = options;
        LogDirectory = logDirectory;
    }

    public string ClusterId => _options.ClusterId;

    /// <summary>Where each process's log file is (<c>silo-0.log</c>, <c>front-0.log</c>).</summary>
    public string LogDirectory { get; }

    /// <summary>Silos first, then fronts, then any started later with <see cref="StartProcessAsync"/>.</summary>
    public IReadOnlyList<GatewayProcess> Processes => _processes;

    public IReadOnlyList<GatewayProcess> Silos => _processes.Where(p => p.Role == GatewayRole.Silo).ToList();

    public IReadOnlyList<GatewayProcess> Fronts => _processes.Where(p => p.Role == GatewayRole.Front).ToList();

    /// <summary>The <c>Cluster:*</c> settings every process gets (without ports): enough for an in-test client.</summary>
    public IReadOnlyDictionary<string, string?> ClusterSettings => BaseSettings(_options);

    /// <summary>Starts every process at once and waits until each answers <c>/readyz</c> with 200.</summary>
    public static async Task<ClusterProcesses> StartAsync(ClusterProcessOptions options)
    {
        var logs = Path.Combine(Path.GetTempPath(), "gateway-cluster-tests", options.ClusterId);
        Directory.CreateDirectory(logs);
        var cluster = new ClusterProcesses(options, logs);
        try
        {
            cluster._fakeUpstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { EventDelayMs = 15 });
            for (var i = 0; i < options.Silos; i++)
            {
                cluster.Add(GatewayRole.Silo);
            }
            for (var i = 0; i < options.Fronts; i++)
            {
                cluster.Add(GatewayRole.Front);
            }
            await Task.WhenAll(cluster._processes.Select(p => cluster.WaitReadyOrThrowAsync(p)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One more process in this cluster, with <paramref name="settings"/> over the usual ones and
    /// <paramref name="arguments"/> after the dll (a verb such as <c>migrate</c>). With
    /// <paramref name="waitUntilReady"/> false it returns at once (to watch a process that should fail or exit).
    /// </summary>
    public async Task<GatewayProcess> StartProcessAsync(
        GatewayRole role, IReadOnlyDictionary<string, string?>? settings = null, bool waitUntilReady = true, IReadOnlyList<string>? arguments = null)
    {
        var process = Add(role, settings, arguments);
        if (waitUntilReady)
        {
            await WaitReadyOrThrowAsync(process);
        }
        return process;
    }

    /// <summary>SIGKILL: the process dies at once, with no shutdown of any kind.</summary>
    public void Kill(int index) => _processes[index].Kill();

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public Task<int> TerminateAsync(int index, TimeSpan? timeout = null) => _processes[index].TerminateAsync(timeout);

    /// <summary>Starts the process again (same ports and settings; kills it first if still running) and waits for <c>/readyz</c>.</summary>
    public async Task RestartAsync(int index)
    {
        _processes[index].Restart();
        await WaitReadyOrThrowAsync(_processes[index]);
    }

    /// <summary>
    /// An Orleans client of this cluster inside the test process, configured by the same
    /// <c>UseGatewayClustering</c> as a front; started (connected) when returned.
    /// </summary>
    public Task<IHost> StartClientAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(ClusterSettings);
        Overlay(all, settings);
        return StartClusterClientAsync(all, _options.ReadyTimeout);
    }

    /// <summary>
    /// An Orleans client inside the test process of any cluster (processes here, or containers), configured by
    /// <c>UseGatewayClustering</c> from <paramref name="settings"/> (configuration keys); started when returned.
    /// </summary>
    public static async Task<IHost> StartClusterClientAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan timeout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseGatewayClustering(builder.Configuration));
        var host = builder.Build();
        using var limit = new CancellationTokenSource(timeout);
        await host.StartAsync(limit.Token);
        return host;
    }

    /// <summary>The silo-to-silo port of the silo hosting the activation whose grain id contains <paramref name="grainKey"/>.</summary>
    public static async Task<int> SiloPortHostingAsync(IHost client, string grainKey)
    {
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var stats = await management.GetDetailedGrainStatistics();
        var activation = stats.FirstOrDefault(s => s.GrainId.ToString().Contains(grainKey, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"no activation of a grain with {grainKey} in its id");
        return activation.SiloAddress.Endpoint.Port;
    }

    /// <summary>Index in <see cref="Silos"/> of the silo hosting the activation whose grain id contains <paramref name="grainKey"/>.</summary>
    public async Task<int> SiloHostingAsync(string grainKey)
    {
        using var client = await StartClientAsync();
        var port = await SiloPortHostingAsync(client, grainKey);
        var silos = Silos;
        for (var i = 0; i < silos.Count; i++)
        {
            if (silos[i].SiloPort == port)
            {
                return i;
            }
        }
        throw new InvalidOperationException($"no silo process listens on port {port}");
    }

    /// <summary>Every process's state and the end of its log, for assertion messages.</summary>
    public string Logs(int linesPerProcess = 60)
    {
        var text = new StringBuilder($"Cluster {ClusterId}; full logs in {LogDirectory}").AppendLine();
        foreach (var process in _processes)
        {
            text.AppendLine().Append(process.Describe(linesPerProcess));
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill();
        }
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        if (_fakeUpstream is not null)
        {
            await _fakeUpstream.DisposeAsync();
        }
    }

    private GatewayProcess Add(GatewayRole role, IReadOnlyDictionary<string, string?>? extra = null, IReadOnlyList<string>? arguments = null)
    {
        var index = _processes.Count(p => p.Role == role);
        var name = $"{role.ToString().ToLowerInvariant()}-{index}";
        var httpPort = FreePort();
        var settings = new Dictionary<string, string?>(BaseSettings(_options))
        {
            ["Urls"] = $"http://127.0.0.1:{httpPort}",
        };
        if (role == GatewayRole.Silo)
        {
            settings["Cluster:SiloPort"] = FreePort().ToString();
            settings["Cluster:GatewayPort"] = FreePort().ToString();
        }
        else
        {
            settings["Cluster:Mode"] = nameof(GatewayClusterMode.Client);
        }
        Overlay(settings, _options.Settings);
        Overlay(settings, role == GatewayRole.Silo ? _options.SiloSettings : _options.FrontSettings);
        Overlay(settings, extra);
        if (role == GatewayRole.Front && !NamesAnUpstream(settings))
        {
            // What a local run's embedded fake would be, with the key the embedded fake gets.
            settings["Upstream:BaseUrl"] = _fakeUpstream!.BaseAddress.ToString().TrimEnd('/');
            if (!settings.Keys.Any(k => k.StartsWith("Upstream:ApiKeys:", StringComparison.Ordinal)))
            {
                settings["Upstream:ApiKeys:0"] = UpstreamDirectory.EmbeddedFakeKey;
            }
        }

        var process = new GatewayProcess(name, role, DllPath(role), arguments ?? [], new Uri($"http://127.0.0.1:{httpPort}/"), settings,
            Path.Combine(LogDirectory, name + ".log"));
        _processes.Add(process);
        process.Start();
        return process;
    }

    private async Task WaitReadyOrThrowAsync(GatewayProcess process)
    {
        if (!await process.WaitReadyAsync(_options.ReadyTimeout))
        {
            var why = process.HasExited ? $"exited with code {process.ExitCode}" : $"not ready within {_options.ReadyTimeout.TotalSeconds:0} s";
            throw new InvalidOperationException($"{process.Name} {why}.{Environment.NewLine}{Logs()}");
        }
    }

    private static Dictionary<string, string?> BaseSettings(ClusterProcessOptions options)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:RedisConnectionString"] = options.RedisConnectionString,
            ["Cluster:ClusterId"] = options.ClusterId,
            ["Cluster:ServiceId"] = "gateway-tests",
            ["Cluster:AdvertisedIPAddress"] = "127.0.0.1",
            ["Cluster:RedisEntryExpiry"] = "00:30:00",
            ["Cluster:ShutdownTimeout"] = "00:00:20",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Warning",
            ["Logging:LogLevel:Polly"] = "Warning",
            ["Logging:LogLevel:Orleans.Runtime.MembershipService"] = "Information",
        };
        Overlay(settings, ClusterProcessOptions.FastFailureDetection);
        if (options.PostgresConnectionString is { } postgres)
        {
            settings["Postgres:ConnectionString"] = postgres;
        }
        return settings;
    }

    private static bool NamesAnUpstream(Dictionary<string, string?> settings) =>
        !string.IsNullOrWhiteSpace(settings.GetValueOrDefault("Upstream:BaseUrl"))
        || settings.Keys.Any(k => k.StartsWith("Upstream:Providers:", StringComparison.Ordinal));

    private static void Overlay(Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?>? over)
    {
        foreach (var (key, value) in over ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    /// <summary>
    /// <c>&lt;repo&gt;/Gateway.Silo/bin/&lt;Configuration&gt;/net10.0/Gateway.Silo.dll</c> (built as a project reference of
    /// the tests), else the copy in the test output directory if its runtimeconfig came along.
    /// </summary>
    public static string DllPath(GatewayRole role)
    {
        var project = role == GatewayRole.Silo ? "Gateway.Silo" : "Gateway.Front";
        var configuration = typeof(ClusterProcesses).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        string[] candidates =
        [
            Path.Combine(RepoPaths.Root, project, "bin", configuration, framework, project + ".dll"),
            Path.Combine(AppContext.BaseDirectory, project + ".dll"),
        ];
        foreach (var dll in candidates)
        {
            if (File.Exists(dll) && File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            {
                return dll;
            }
        }
        throw new FileNotFoundException(
            $"{project}.dll with its runtimeconfig not found in {string.Join(" or ", candidates)}. Build the solution first (dotnet build Cluster.sln -c {configuration}).");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One gateway OS process: its ports, its log, and the ways to end it.</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private const int SIGTERM = 15;
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _dll;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly StreamWriter _logFile;
    private readonly List<string> _lines = [];
    private Process? _process;

    internal GatewayProcess(string name, GatewayRole role, string dll, IReadOnlyList<string> arguments, Uri httpAddress, IReadOnlyDictionary<string, string?> settings, string logPath)
    {
        Name = name;
        Role = role;
        _dll = dll;
        _arguments = arguments;
        HttpAddress = httpAddress;
        _settings = settings;
        LogPath = logPath;
        _logFile = new StreamWriter(logPath, append: true) { AutoFlush = true };
    }

    public string Name { get; }

    public GatewayRole Role { get; }

    /// <summary>Kestrel's address: <c>/healthz</c>, <c>/readyz</c>, and for a front the API.</summary>
    public Uri HttpAddress { get; }

    /// <summary>Silo-to-silo port (silos only).</summary>
    public int? SiloPort => int.TryParse(Setting("Cluster:SiloPort"), out var port) && Role == GatewayRole.Silo ? port : null;

    /// <summary>The port clients connect to (silos only).</summary>
    public int? GatewayPort => int.TryParse(Setting("Cluster:GatewayPort"), out var port) && Role == GatewayRole.Silo ? port : null;

    public string LogPath { get; }

    public int ProcessId => _process?.Id ?? 0;

    public bool HasExited => _process is null || _process.HasExited;

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Everything the process wrote to stdout and stderr so far, restarts included.</summary>
    public string Log
    {
        get
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    public string? Setting(string key) => _settings.TryGetValue(key, out var value) ? value : null;

    /// <summary>True once <c>/readyz</c> answers 200; false if the process exits or the time runs out first.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (HasExited)
            {
                return false;
            }
            if (await ReadyStatusAsync() == HttpStatusCode.OK)
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>The status of <c>/readyz</c> now, or null if nothing answers.</summary>
    public async Task<HttpStatusCode?> ReadyStatusAsync()
    {
        try
        {
            using var response = await Probe.GetAsync(new Uri(HttpAddress, "readyz"));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Waits for the process to exit by itself; its exit code, or null if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started.");
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        process.WaitForExit(); // drains the output readers
        return process.ExitCode;
    }

    /// <summary>SIGKILL, and waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append("--- killed (SIGKILL) by the test ---");
        }
    }

    /// <summary>SIGTERM, then waits for the exit (default 30 s, then SIGKILL and throw); returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} was never started.");
        if (!process.HasExited)
        {
            Append("--- SIGTERM from the test ---");
            if (kill(process.Id, SIGTERM) != 0)
            {
                throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
            }
            using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new TimeoutException($"{Name} did not exit within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s of SIGTERM.{Environment.NewLine}{Describe(80)}");
            }
        }
        process.WaitForExit(); // drains the output readers
        return process.ExitCode;
    }

    /// <summary>Starts the process again with the same ports and settings (killing it first if it still runs).</summary>
    public void Restart()
    {
        Kill();
        Append("--- restarted by the test ---");
        Start();
    }

    public string Describe(int lines)
    {
        string[] all;
        lock (_lines)
        {
            all = _lines.TakeLast(lines).ToArray();
        }
        var state = HasExited ? $"exited ({ExitCode})" : $"running (pid {ProcessId})";
        return $"==== {Name} {state} {HttpAddress} log {LogPath} ====" + Environment.NewLine + string.Join(Environment.NewLine, all) + Environment.NewLine;
    }

    internal void Start()
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_dll);
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // Nothing of the test runner's own configuration may leak into the child.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("Cluster__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Postgres__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Upstream__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Gateway__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key.Equals("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)
                || key.Equals("POD_IP", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        start.Environment["DOTNET_gcServer"] = "0"; // several processes share two cores
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__")] = value ?? "";
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Append(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Append("[stderr] " + e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await _logFile.DisposeAsync();
    }

    private void Append(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            try
            {
                _logFile.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}

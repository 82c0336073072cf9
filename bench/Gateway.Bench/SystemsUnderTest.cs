namespace Gateway.Bench;

/// <summary>The fake upstream (the floor) and the gateway in front of it, each in its own process.</summary>
internal sealed class SystemsUnderTest : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];

    public Uri Direct { get; private set; } = null!;
    public Uri Gateway { get; private set; } = null!;

    public static async Task<SystemsUnderTest> StartAsync(BenchOptions options)
    {
        var frontDll = Path.Combine(RepoRoot(), "Gateway.Front", "bin", options.Configuration, "net10.0", "Gateway.Front.dll");
        if (!File.Exists(frontDll))
        {
            throw new FileNotFoundException($"Build first: dotnet build -c {options.Configuration} Gateway.Front", frontDll);
        }
        var systems = new SystemsUnderTest();
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning", ["DOTNET_gcServer"] = "0" };

        var upstreamPort = ChildProcess.FreePort();
        var upstream = await ChildProcess.StartAsync(frontDll,
            ["fake-upstream", "--urls", $"http://127.0.0.1:{upstreamPort}", "--MaxRecordedRequests", "0"], quiet, upstreamPort);
        systems._processes.Add(upstream);
        systems.Direct = upstream.Address;

        var gatewayPort = ChildProcess.FreePort();
        var gateway = await ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(quiet)
        {
            ["Urls"] = $"http://127.0.0.1:{gatewayPort}",
            ["Upstream__BaseUrl"] = upstream.Address.ToString(),
            ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
        }, gatewayPort);
        systems._processes.Add(gateway);
        systems.Gateway = gateway.Address;
        return systems;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cluster.sln not found");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }
}

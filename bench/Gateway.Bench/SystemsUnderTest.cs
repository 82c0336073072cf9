using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// The fake upstream (the floor) and the gateway in front of it, each in its own process: once as
/// a plain pass-through (no keys), once with virtual keys (auth, lease admission, settlement to the
/// key's grain, in a silo hosted by the front process).
/// </summary>
internal sealed class SystemsUnderTest : IAsyncDisposable
{
    private const string AdminToken = "bench-admin-token-0123456789";
    private readonly List<ChildProcess> _processes = [];
    private string? _scratchDatabase;
    private string? _server;

    public List<Target> Targets { get; } = [];

    public static async Task<SystemsUnderTest> StartAsync(BenchOptions options)
    {
        var frontDll = Path.Combine(RepoRoot(), "Gateway.Front", "bin", options.Configuration, "net10.0", "Gateway.Front.dll");
        if (!File.Exists(frontDll))
        {
            throw new FileNotFoundException($"Build first: dotnet build -c {options.Configuration} Gateway.Front", frontDll);
        }
        var systems = new SystemsUnderTest();
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };

        var upstreamPort = ChildProcess.FreePort();
        var upstream = await ChildProcess.StartAsync(frontDll,
            ["fake-upstream", "--urls", $"http://127.0.0.1:{upstreamPort}", "--MaxRecordedRequests", "0"], quiet, upstreamPort);
        systems._processes.Add(upstream);
        systems.Targets.Add(new Target("direct (fake upstream)", upstream.Address, "sk-bench"));

        var plainPort = ChildProcess.FreePort();
        var plain = await ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(quiet)
        {
            ["Urls"] = $"http://127.0.0.1:{plainPort}",
            ["Upstream__BaseUrl"] = upstream.Address.ToString(),
            ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
            ["Auth__Mode"] = "PassThrough",
        }, plainPort);
        systems._processes.Add(plain);
        systems.Targets.Add(new Target("gateway, pass-through", plain.Address, "sk-bench"));

        var keysPort = ChildProcess.FreePort();
        var keyed = await ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(quiet)
        {
            ["Urls"] = $"http://127.0.0.1:{keysPort}",
            ["Upstream__BaseUrl"] = upstream.Address.ToString(),
            ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
            ["Auth__Mode"] = "VirtualKeys",
            ["Admin__Token"] = AdminToken,
            ["Cluster__Mode"] = "Embedded",
            ["Cluster__SiloPort"] = ChildProcess.FreePort().ToString(),
            ["Cluster__GatewayPort"] = ChildProcess.FreePort().ToString(),
        }, keysPort, probePath: "healthz");
        systems._processes.Add(keyed);
        systems.Targets.Add(new Target("gateway, virtual keys + limits", keyed.Address, await CreateKeyAsync(keyed.Address)));

        if (options.Postgres is { } server)
        {
            // Everything on: keys, spend, rollups and the per-request audit log in a real Postgres.
            systems._server = server;
            systems._scratchDatabase = "gw_bench_" + Guid.NewGuid().ToString("N")[..12];
            await ExecuteAsync(server, $"CREATE DATABASE \"{systems._scratchDatabase}\"");
            var database = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = systems._scratchDatabase }.ConnectionString;
            var auditPort = ChildProcess.FreePort();
            var audited = await ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(quiet)
            {
                ["Urls"] = $"http://127.0.0.1:{auditPort}",
                ["Upstream__BaseUrl"] = upstream.Address.ToString(),
                ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
                ["Auth__Mode"] = "VirtualKeys",
                ["Admin__Token"] = AdminToken,
                ["Postgres__ConnectionString"] = database,
                ["Cluster__Mode"] = "Embedded",
                ["Cluster__SiloPort"] = ChildProcess.FreePort().ToString(),
                ["Cluster__GatewayPort"] = ChildProcess.FreePort().ToString(),
            }, auditPort, probePath: "healthz");
            systems._processes.Add(audited);
            systems.Targets.Add(new Target("gateway, virtual keys + audit to Postgres", audited.Address, await CreateKeyAsync(audited.Address)));
        }
        return systems;
    }

    /// <summary>A key with limits far above the load, so every request takes the full admission path.</summary>
    private static async Task<string> CreateKeyAsync(Uri gateway)
    {
        using var admin = new HttpClient { BaseAddress = gateway };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        using var team = await admin.PostAsJsonAsync("admin/teams", new { name = "bench", billing_tag = "bench" });
        var teamId = JsonDocument.Parse(await team.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var key = await admin.PostAsJsonAsync("admin/keys", new
        {
            team_id = teamId,
            name = "bench",
            limits = new { requests_per_minute = 100_000_000, input_tokens_per_minute = 10_000_000_000L, output_tokens_per_minute = 10_000_000_000L, daily_budget_usd = 1_000_000 },
        });
        var body = await key.Content.ReadAsStringAsync();
        if (!key.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("creating the bench key failed: " + body);
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
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

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        if (_scratchDatabase is not null)
        {
            await ExecuteAsync(_server!, $"DROP DATABASE IF EXISTS \"{_scratchDatabase}\" WITH (FORCE)");
        }
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Gateway.FakeUpstream;

namespace Gateway.Bench;

/// <summary>
/// Every system the bench compares, each in its own process on loopback, all in front of one fake upstream:
/// the fake alone (the floor), nginx, Portkey, a bare YARP forwarder (the .NET floor), this gateway as a pass-through, and this gateway with
/// everything on (virtual keys, budgets, session limits, a routing rule, cache injection, audit to Postgres)
/// as a silo process and two front processes (Orleans clients) sharing one virtual key: measured through one
/// front, and through both with the load split between them.
/// </summary>
internal sealed class SystemsUnderTest : IAsyncDisposable
{
    private const string AdminToken = "bench-admin-token-0123456789";
    private readonly List<ChildProcess> _processes = [];
    private readonly string _scratch = Directory.CreateTempSubdirectory("gw-bench-").FullName;
    private string? _scratchDatabase;
    private string? _server;

    public List<Target> Targets { get; } = [];

    /// <summary>
    /// The systems the per-event scenario streams through: <see cref="Targets"/> and, right after the pass-through
    /// gateway, the same gateway routing the model to Bedrock (only here, to keep the run short).
    /// </summary>
    public List<Target> StreamingTargets => Bedrock is { } bedrock
        ? [.. Targets.TakeWhile(t => t.Kind <= SystemKind.PassThrough), bedrock, .. Targets.SkipWhile(t => t.Kind <= SystemKind.PassThrough)]
        : Targets;

    /// <summary>The pass-through gateway with a <c>bedrock</c> provider (SigV4 to the fake's Bedrock endpoints).</summary>
    public Target? Bedrock { get; private set; }

    /// <summary>The systems the open-streams scenario holds thousands of SSE streams through (nginx and one front).</summary>
    public List<Target> OpenStreamTargets { get; } = [];

    /// <summary>The silo process behind the everything-on fronts (for the memory figures).</summary>
    public ChildProcess? Silo { get; private set; }

    public Uri? SiloHttp => Silo?.Address;

    /// <summary>Orleans cluster and service id of the everything-on cluster (localhost clustering).</summary>
    public string ClusterId { get; } = "bench";

    /// <summary>The silo's Orleans gateway port, for the bench's own cluster client (memory figures).</summary>
    public int SiloGatewayPort { get; } = ChildProcess.FreePort();

    public string? NginxVersion { get; private set; }

    public string? PortkeyVersion { get; private set; }

    public static async Task<SystemsUnderTest> StartAsync(BenchOptions options)
    {
        var frontDll = ProjectBinary.Find("Gateway.Front", options.Configuration);
        var siloDll = ProjectBinary.Find("Gateway.Silo", options.Configuration);
        var fakeDll = ProjectBinary.Find("Gateway.FakeUpstream", options.Configuration);
        var systems = new SystemsUnderTest();
        try
        {
            await systems.StartAllAsync(options, frontDll, siloDll, fakeDll);
        }
        catch
        {
            await systems.DisposeAsync();
            throw;
        }
        return systems;
    }

    private async Task StartAllAsync(BenchOptions options, string frontDll, string siloDll, string fakeDll)
    {
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };

        var upstreamPort = ChildProcess.FreePort();
        var upstream = await Start(ChildProcess.StartAsync(fakeDll,
            ["--urls", $"http://127.0.0.1:{upstreamPort}", "--MaxRecordedRequests", "0"], quiet, upstreamPort));
        Targets.Add(new Target(SystemKind.Direct, "direct (fake upstream)", [upstream.Address], "sk-bench") { Pids = [upstream.Id] });

        if (NginxPeer.Version() is { } nginxVersion)
        {
            NginxVersion = nginxVersion;
            var nginx = await Start(NginxPeer.StartAsync(upstream.Address, _scratch));
            Targets.Add(new Target(SystemKind.Nginx, $"{nginxVersion}, reverse proxy", [nginx.Address], "sk-bench") { Pids = [nginx.Id] });
            OpenStreamTargets.Add(Targets[^1]);
        }
        else
        {
            Console.Error.WriteLine("bench: nginx not found on PATH, skipped (bench/run.sh installs it)");
        }

        if (PortkeyPeer.Version() is { } portkeyVersion)
        {
            PortkeyVersion = portkeyVersion;
            var portkey = await Start(PortkeyPeer.StartAsync());
            Targets.Add(new Target(SystemKind.Portkey, $"Portkey gateway {portkeyVersion}", [portkey.Address], "sk-bench", PortkeyPeer.Headers(upstream.Address)) { Pids = [portkey.Id] });
        }
        else
        {
            Console.Error.WriteLine("bench: Portkey not installed in bench/peers, skipped (npm ci --prefix bench/peers)");
        }

        // Kestrel + YARP's forwarder alone, same runtime settings as the fronts: what any .NET front pays here.
        var barePort = ChildProcess.FreePort();
        var bare = await Start(ChildProcess.StartAsync(typeof(BareForwarder).Assembly.Location,
            ["bare-forwarder", "--port", barePort.ToString(), "--upstream", upstream.Address.ToString()],
            new Dictionary<string, string>(options.FrontEnv), barePort, probePath: "health"));
        Targets.Add(new Target(SystemKind.BareForwarder, "bare YARP forwarder (Kestrel + IHttpForwarder, nothing else)", [bare.Address], "sk-bench") { Pids = [bare.Id] });

        var plainPort = ChildProcess.FreePort();
        var plain = await Start(ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(options.FrontEnv.Concat(quiet))
        {
            ["Urls"] = $"http://127.0.0.1:{plainPort}",
            ["Upstream__BaseUrl"] = upstream.Address.ToString(),
            ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
            ["Auth__Mode"] = "PassThrough",
            ["CacheInjection__Enabled"] = "false",
        }, plainPort));
        Targets.Add(new Target(SystemKind.PassThrough, "gateway, pass-through", [plain.Address], "sk-bench") { Pids = [plain.Id], MetricsUrls = [plain.Address] });

        // The same pass-through front, but every claude-* model routed to a bedrock provider on the fake: the body
        // rewritten for InvokeModel, SigV4-signed (credentials from the environment, the standard chain's first
        // link; the fake's own key pair), the eventstream reply turned back into SSE event by event.
        var bedrockPort = ChildProcess.FreePort();
        var bedrockEnv = new Dictionary<string, string>(options.FrontEnv.Concat(quiet))
        {
            ["Urls"] = $"http://127.0.0.1:{bedrockPort}",
            ["Auth__Mode"] = "PassThrough",
            ["CacheInjection__Enabled"] = "false",
            ["Upstream__Providers__0__Name"] = "aws",
            ["Upstream__Providers__0__Kind"] = "bedrock",
            ["Upstream__Providers__0__BaseUrl"] = upstream.Address.ToString(),
            ["Upstream__Providers__0__Region"] = "us-east-1",
            ["Routing__Rules__0__Match"] = "claude-*",
            ["Routing__Rules__0__Provider"] = "aws",
            ["AWS_ACCESS_KEY_ID"] = FakeUpstreamOptions.DefaultBedrockAccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = FakeUpstreamOptions.DefaultBedrockSecret,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        foreach (var model in new[] { Bodies.SmallStream, Bodies.LargeStream }.Select(b => JsonDocument.Parse(b.Json).RootElement.GetProperty("model").GetString()!).Distinct())
        {
            // Each streamed body's model mapped explicitly: the recorded Claude Code body names one the built-in table lacks (the fake takes any anthropic.* id).
            bedrockEnv.TryAdd($"Upstream__Providers__0__Models__{model}", $"us.anthropic.{model}-v1:0");
        }
        var bedrock = await Start(ChildProcess.StartAsync(frontDll, [], bedrockEnv, bedrockPort));
        Bedrock = new Target(SystemKind.PassThroughBedrock, "gateway, pass-through, Bedrock-routed (SigV4, eventstream)", [bedrock.Address], "sk-bench")
        {
            Pids = [bedrock.Id],
            MetricsUrls = [bedrock.Address],
        };

        // Everything on: one silo, two fronts (Orleans clients over localhost clustering), one key shared.
        var cluster = new Dictionary<string, string>(quiet)
        {
            ["Cluster__ClusterId"] = ClusterId,
            ["Cluster__ServiceId"] = ClusterId,
            ["Cluster__SiloPort"] = ChildProcess.FreePort().ToString(),
            ["Cluster__GatewayPort"] = SiloGatewayPort.ToString(),
        };
        if (options.Postgres is { } server)
        {
            _server = server;
            _scratchDatabase = "gw_bench_" + Guid.NewGuid().ToString("N")[..12];
            await PostgresCommand.ExecuteAsync(server, $"CREATE DATABASE \"{_scratchDatabase}\"");
            cluster["Postgres__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = _scratchDatabase }.ConnectionString;
        }
        else
        {
            Console.Error.WriteLine("bench: no --postgres, so the everything-on gateway keeps keys in memory and writes no audit rows");
        }
        var siloPort = ChildProcess.FreePort();
        Silo = await Start(ChildProcess.StartAsync(siloDll, [], new Dictionary<string, string>(cluster)
        {
            ["Urls"] = $"http://127.0.0.1:{siloPort}",
        }, siloPort, probePath: "readyz"));
        var fronts = new List<ChildProcess>();
        Task<ChildProcess> StartFront(Uri upstreamAddress, Dictionary<string, string>? extra = null)
        {
            var port = ChildProcess.FreePort();
            var env = new Dictionary<string, string>(cluster)
            {
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Cluster__Mode"] = "Client",
                ["Upstream__BaseUrl"] = upstreamAddress.ToString(),
                ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
                ["Auth__Mode"] = "VirtualKeys",
                ["Admin__Token"] = AdminToken,
                ["Routing__Rules__0__Match"] = "claude-*",
                ["Routing__Rules__0__Provider"] = "anthropic",
                ["CacheInjection__Enabled"] = "true",
            };
            foreach (var (name, value) in options.FrontEnv.Concat(extra ?? []))
            {
                env[name] = value;
            }
            return Start(ChildProcess.StartAsync(frontDll, [], env, port, probePath: "readyz"));
        }
        for (var i = 0; i < 2; i++)
        {
            fronts.Add(await StartFront(upstream.Address));
        }
        var key = await CreateKeyAsync(fronts[0].Address);
        var label = options.Postgres is null ? "keys, limits, routing, cache injection; no Postgres" : "everything on";
        Targets.Add(new Target(SystemKind.EverythingOn, $"gateway, {label} (1 front)", [fronts[0].Address], key)
        {
            Pids = [fronts[0].Id, Silo.Id],
            MetricsUrls = [fronts[0].Address, Silo.Address],
        });
        Targets.Add(new Target(SystemKind.EverythingOnTwoFronts, $"gateway, {label} (2 fronts, 1 key)", [.. fronts.Select(f => f.Address)], key)
        {
            Pids = [.. fronts.Select(f => f.Id), Silo.Id],
            MetricsUrls = [.. fronts.Select(f => f.Address), Silo.Address],
        });

        if (options.OpenStreams > 0)
        {
            // The open-streams front: everything on, its upstream over HTTP/2 (as to the Anthropic API over TLS),
            // here h2c to a fake of its own, so 10,000 streams share a few upstream connections instead of holding
            // 10,000 sockets more. Its own process, so its memory and threads are the streams' alone.
            var h2Port = ChildProcess.FreePort();
            var h2Upstream = await Start(ChildProcess.StartAsync(fakeDll,
                ["--urls", $"http://127.0.0.1:{h2Port}", "--MaxRecordedRequests", "0", "--Http2Only", "true"], quiet, h2Port, http2Only: true));
            var streamsFront = await StartFront(h2Upstream.Address, new() { ["Upstream__HttpVersion"] = "2" });
            OpenStreamTargets.Add(new Target(SystemKind.EverythingOn, $"gateway, {label} (1 front, upstream over HTTP/2)", [streamsFront.Address], key)
            {
                Pids = [streamsFront.Id],
                MetricsUrls = [streamsFront.Address],
            });
        }
    }

    private async Task<ChildProcess> Start(Task<ChildProcess> starting)
    {
        var process = await starting;
        _processes.Add(process);
        return process;
    }

    /// <summary>
    /// A key with limits far above the load (so every request takes the full admission path: rate buckets,
    /// daily budget, session limits) and cache injection on.
    /// </summary>
    private static async Task<string> CreateKeyAsync(Uri gateway)
    {
        using var admin = new HttpClient { BaseAddress = gateway };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        using var team = await admin.PostAsJsonAsync("admin/teams", new { name = "bench", billing_tag = "bench" });
        var teamBody = await team.Content.ReadAsStringAsync();
        if (!team.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("creating the bench team failed: " + teamBody);
        }
        var teamId = JsonDocument.Parse(teamBody).RootElement.GetProperty("id").GetString();
        using var key = await admin.PostAsJsonAsync("admin/keys", new
        {
            team_id = teamId,
            name = "bench",
            limits = new { requests_per_minute = 100_000_000, input_tokens_per_minute = 100_000_000_000L, output_tokens_per_minute = 10_000_000_000L, daily_budget_usd = 1_000_000_000 },
            session_limits = new { max_requests = 1_000_000_000, max_cost_usd = 1_000_000_000 },
        });
        var body = await key.Content.ReadAsStringAsync();
        if (!key.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("creating the bench key failed: " + body);
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        // Fronts before the silo, the silo before its database.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        if (_scratchDatabase is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await PostgresCommand.ExecuteAsync(_server!, $"DROP DATABASE IF EXISTS \"{_scratchDatabase}\" WITH (FORCE)");
        }
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The front and silo images (built by <c>.ci/images.sh</c>) run with podman exactly as the rendered chart
/// runs them: environment, command, user, read-only root, the /tmp emptyDir, grace periods and preStop
/// all read from <c>helm template</c>. Only addresses differ, and they are given to the chart with
/// <c>--set</c>: this test's Postgres database, its own Redis, a fake upstream, free loopback ports.
/// The migrations Job runs first, then a silo and a front; Claude Code gets its answer through
/// front, silo and upstream and leaves an audit row; SIGTERM lets a stream finish before the front
/// exits, and the silo exits within its grace period.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed partial class ContainerRunTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminToken = "container-test-admin-token-0123";
    private const string UpstreamKey = "sk-upstream-container-test";
    private const string Release = "gw";
    private const string Namespace = "gateway";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly string _prefix = "gw-ct-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _containers = [];

    [PodmanFact]
    public async Task Images_run_as_the_chart_renders_them_serve_Claude_Code_and_drain_on_SIGTERM()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5, ApiKeys = [UpstreamKey] });
        await using var redis = await PrivateRedis.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        int frontPort = ClusterProcesses.FreePort(), metricsPort = ClusterProcesses.FreePort();
        var chart = await RenderAsync(upstream, redis, database, frontPort, metricsPort, SiloPorts.Free());
        var front = Container(chart, "Deployment", "front");
        var silo = Container(chart, "Deployment", "silo");

        // What the chart gives the pods, checked here so a chart change that this run does not exercise shows up.
        foreach (var c in new[] { front, silo })
        {
            Assert.True(c.ReadOnlyRootFilesystem, c.Workload);
            Assert.Contains(c.EmptyDirMounts, m => m.Path == "/tmp");
            Assert.Equal(1654, c.RunAsUser);
            Assert.Equal(database.ConnectionString, c.Env["Postgres__ConnectionString"]);
            Assert.Equal(redis.Endpoint, c.Env["Cluster__RedisConnectionString"]);
        }
        Assert.Equal(["dotnet", "Gateway.Front.dll"], front.Command);
        Assert.Equal(["dotnet", "Gateway.Silo.dll"], silo.Command);
        Assert.Equal(AdminToken, front.Env["Admin__Token"]);
        Assert.Equal(UpstreamKey, front.Env["Upstream__ApiKeys__0"]);
        Assert.Equal("127.0.0.1", silo.Env["Cluster__AdvertisedIPAddress"]);
        output.WriteLine($"front: {front.Image}, grace {front.TerminationGracePeriodSeconds} s, preStop {front.PreStopSleepSeconds} s, {front.Env.Count} env vars");
        output.WriteLine($"silo:  {silo.Image}, grace {silo.TerminationGracePeriodSeconds} s, {silo.Env.Count} env vars");
        foreach (var image in new[] { front.Image, silo.Image })
        {
            var (exists, _) = await Podman.RunAsync(["image", "exists", image]);
            Assert.True(exists == 0, $"image {image} is not in podman's storage: build it with `bash .ci/images.sh` (.ci/run does).");
            // The chart's runAsUser is the image's own non-root user, so files the image owns stay readable.
            Assert.Equal(front.RunAsUser.ToString(CultureInfo.InvariantCulture), await Podman.CheckedAsync("image", "inspect", "--format", "{{.Config.User}}", image));
        }

        await MigrateAsync(chart);
        var siloName = await StartReadyAsync(silo, "silo");
        var frontName = await StartReadyAsync(front, "front");
        var frontUri = new Uri($"http://127.0.0.1:{frontPort}/");

        using var admin = new HttpClient { BaseAddress = frontUri, Timeout = TimeSpan.FromSeconds(30) };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 100, daily_budget_usd = 5 });

        // Claude Code through front -> silo (the key's admission) -> fake upstream.
        var request = Stopwatch.StartNew();
        var claude = await ClaudeCodeCli.RunAsync(frontUri, new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = key.Secret },
            "-p", "Reply with the word PONG", "--output-format", "json");
        output.WriteLine($"Claude Code request through the containers: {request.Elapsed.TotalSeconds:0.0} s");
        Assert.True(claude.ExitCode == 0, $"exit {claude.ExitCode}\nstdout: {claude.StdOut}\nstderr: {claude.StdErr}\n{await LogsAsync(frontName)}");
        var answer = Json.Parse(claude.StdOut);
        Assert.False(answer.GetProperty("is_error").GetBoolean(), claude.StdOut);
        Assert.Equal("PONG", answer.GetProperty("result").GetString());
        var turn = Assert.Single(upstream.Received, r => r.Method == "POST" && r.PathAndQuery == "/v1/messages?beta=true");
        Assert.Equal(UpstreamKey, turn.Headers["x-api-key"]);
        var audit = await AuditRowAsync(database, key.KeyId, stream: true, TimeSpan.FromSeconds(30));
        Assert.Equal(200, audit.Status);
        Assert.True(audit.OutputTokens > 0);
        Assert.StartsWith("claude-cli/", audit.UserAgent);

        // A long stream (200 events, 60 ms apart), then what the kubelet does: preStop, SIGTERM, grace period.
        upstream.Options.OutputTokens = 200;
        upstream.Options.ReplyText = string.Concat(Enumerable.Range(0, 200).Select(i => $"w{i} "));
        using var client = new HttpClient { BaseAddress = frontUri, Timeout = TimeSpan.FromMinutes(3) };
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                """{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"a long answer"}]}""",
                Encoding.UTF8, "application/json"),
        };
        message.Headers.Add("x-api-key", key.Secret);
        message.Headers.Add("anthropic-version", "2023-06-01");
        message.Headers.Add(FakeUpstreamHeaders.EventIntervalMs, "60");
        var streamClock = Stopwatch.StartNew();
        using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var firstDelta = new TaskCompletionSource();
        var reading = ReadStreamAsync(await response.Content.ReadAsStreamAsync(), firstDelta);
        await firstDelta.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var stopping = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(front.PreStopSleepSeconds));
        await Podman.CheckedAsync("kill", "--signal", "TERM", frontName);
        var signalled = stopping.Elapsed;
        await Task.Delay(500);
        Assert.NotEqual(HttpStatusCode.OK, await StatusAsync(new Uri(frontUri, "readyz")));
        var (text, stopped) = await reading.WaitAsync(TimeSpan.FromSeconds(front.TerminationGracePeriodSeconds));
        var streamDone = stopping.Elapsed;
        Assert.True(stopped, $"the stream ended without message_stop after SIGTERM; got {text.Length} characters\n{await LogsAsync(frontName)}");
        Assert.Equal(upstream.Options.ReplyText, text);
        var frontExit = await WaitExitAsync(frontName, TimeSpan.FromSeconds(front.TerminationGracePeriodSeconds) - stopping.Elapsed);
        var frontGone = stopping.Elapsed;
        Assert.True(frontExit == 0, $"front exited with {frontExit}:\n{await LogsAsync(frontName)}");
        Assert.True(frontGone < TimeSpan.FromSeconds(front.TerminationGracePeriodSeconds));
        output.WriteLine($"front drain: stream of {streamClock.Elapsed.TotalSeconds:0.0} s; preStop {signalled.TotalSeconds:0.0} s, " +
            $"stream done {streamDone.TotalSeconds:0.0} s, front exited {frontGone.TotalSeconds:0.0} s after the stop began (grace {front.TerminationGracePeriodSeconds} s)");
        // The drained stream was audited before the front exited.
        var streamed = await AuditRowAsync(database, key.KeyId, stream: true, TimeSpan.FromSeconds(5), userAgentPrefix: null, minimumOutputTokens: 200);
        Assert.Equal(200, streamed.Status);

        var siloStopping = Stopwatch.StartNew();
        await Podman.CheckedAsync("kill", "--signal", "TERM", siloName);
        var siloExit = await WaitExitAsync(siloName, TimeSpan.FromSeconds(silo.TerminationGracePeriodSeconds));
        var siloLog = await LogsAsync(siloName, 400);
        Assert.True(siloExit == 0, $"silo exited with {siloExit}:\n{siloLog}");
        // A graceful Orleans stop (readiness off first), and the key's spend settled in Postgres, where the next silo reads it.
        Assert.Contains("is shutting down: not ready", siloLog);
        Assert.True(await SpentAsync(database, key.KeyId) > 0, $"no spend settled for {key.KeyId}");
        output.WriteLine($"silo hand-off: exited {siloStopping.Elapsed.TotalSeconds:0.0} s after SIGTERM (grace {silo.TerminationGracePeriodSeconds} s)");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var name in _containers)
        {
            output.WriteLine($"--- {name} (last lines) ---{Environment.NewLine}{await LogsAsync(name, 15)}");
            await Podman.RunAsync(["rm", "-f", "-t", "0", name]);
        }
    }

    /// <summary>A silo's three ports: HTTP (probes, metrics), silo-to-silo, and the gateway port clients connect to.</summary>
    private sealed record SiloPorts(int Http, int Silo, int Gateway)
    {
        public static SiloPorts Free() => new(ClusterProcesses.FreePort(), ClusterProcesses.FreePort(), ClusterProcesses.FreePort());
    }

    /// <summary>
    /// <c>helm template</c> with this test's addresses and ports; everything else is the chart's defaults (the images
    /// too: .ci/images.sh tags its builds with those names). Two renderings differing only in silo ports give two
    /// silos of one cluster: the Orleans ids derive from the release and namespace, not from ports.
    /// </summary>
    private static Task<RenderedChart> RenderAsync(FakeUpstreamServer upstream, PrivateRedis redis, TestPostgres database,
        int frontPort, int metricsPort, SiloPorts silo) =>
        DeployTools.RenderValidAsync(Release, [],
        [
            "postgres.connectionString=" + SetValue(database.ConnectionString),
            "redis.connectionString=" + redis.Endpoint,
            "upstream.baseUrl=" + upstream.BaseAddress.ToString().TrimEnd('/'),
            "upstream.apiKeys[0]=" + UpstreamKey,
            "admin.token=" + AdminToken,
            $"front.port={frontPort}",
            $"front.metricsPort={metricsPort}",
            $"silo.httpPort={silo.Http}",
            $"silo.siloPort={silo.Silo}",
            $"silo.gatewayPort={silo.Gateway}",
        ]);

    /// <param name="pod">Distinguishes replicas of one workload: the pod name the downward API gives each.</param>
    private ChartContainer Container(RenderedChart chart, string kind, string component, string pod = "")
    {
        var workload = $"{Release}-gateway-{component}";
        return ChartContainer.From(chart, kind, workload, new ChartContainer.PodIdentity($"{workload}-{_prefix}{pod}", Namespace, "127.0.0.1"));
    }

    /// <summary>The schema, as the chart applies it: its migrations Job (a hook) before the workloads.</summary>
    private async Task MigrateAsync(RenderedChart chart)
    {
        if (!chart.OfKind("Job").Any(j => RenderedChart.Name(j) == $"{Release}-gateway-migrations"))
        {
            return;
        }
        var migrate = Container(chart, "Job", "migrations");
        var clock = Stopwatch.StartNew();
        var name = await StartAsync(migrate, "migrations");
        var exit = await WaitExitAsync(name, TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"migrations exited with {exit}:\n{await LogsAsync(name)}");
        output.WriteLine($"migrations Job: {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Starts the container and waits until its readiness probe answers 200; returns the container's name.</summary>
    private async Task<string> StartReadyAsync(ChartContainer container, string component)
    {
        var clock = Stopwatch.StartNew();
        var name = await StartAsync(container, component);
        await WaitReadyAsync(container, name);
        output.WriteLine($"{component} container start to ready: {clock.Elapsed.TotalSeconds:0.0} s");
        return name;
    }

    private async Task<string> StartAsync(ChartContainer container, string component)
    {
        var name = $"{_prefix}-{component}";
        _containers.Add(name);
        await Podman.CheckedAsync([.. container.RunArguments(name)]);
        return name;
    }

    /// <summary>Polls the readiness probe's path on the container's http port, as the kubelet would.</summary>
    private static async Task WaitReadyAsync(ChartContainer container, string name)
    {
        var probe = new Uri($"http://127.0.0.1:{container.HttpPort}{container.ReadinessPath}");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (await StatusAsync(probe) == HttpStatusCode.OK)
            {
                return;
            }
            if ((await Podman.CheckedAsync("inspect", "--format", "{{.State.Running}}", name)) != "true")
            {
                break;
            }
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"{name} not ready at {probe} within {ReadyTimeout.TotalSeconds:0} s:\n{await LogsAsync(name)}");
    }

    /// <summary>Waits for the container to exit; returns its exit code, or fails when <paramref name="timeout"/> passes first.</summary>
    private static async Task<int> WaitExitAsync(string name, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var state = (await Podman.CheckedAsync("inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", name)).Split(' ');
            if (state[0] != "true")
            {
                return int.Parse(state[1], CultureInfo.InvariantCulture);
            }
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"{name} still running after {timeout.TotalSeconds:0} s:\n{await LogsAsync(name)}");
    }

    private static async Task<string> LogsAsync(string name, int lines = 60) =>
        (await Podman.RunAsync(["logs", "--tail", lines.ToString(CultureInfo.InvariantCulture), name])).Output;

    private static async Task<HttpStatusCode?> StatusAsync(Uri uri)
    {
        try
        {
            using var response = await Probe.GetAsync(uri);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Reads SSE to its end: the concatenated text deltas and whether message_stop came.</summary>
    private static async Task<(string Text, bool Stopped)> ReadStreamAsync(Stream body, TaskCompletionSource firstDelta)
    {
        var text = new StringBuilder();
        var stopped = false;
        using var reader = new StreamReader(body);
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }
                using var data = JsonDocument.Parse(line["data: ".Length..]);
                var type = data.RootElement.GetProperty("type").GetString();
                if (type == "content_block_delta" && data.RootElement.GetProperty("delta").TryGetProperty("text", out var delta))
                {
                    text.Append(delta.GetString());
                    firstDelta.TrySetResult();
                }
                stopped |= type == "message_stop";
            }
        }
        catch (IOException)
        {
            // The connection was cut: reported as a stream without message_stop.
        }
        firstDelta.TrySetResult();
        return (text.ToString(), stopped);
    }

    private sealed record AuditRow(int Status, long OutputTokens, string? UserAgent);

    /// <summary>Waits for the key's audit row (the fronts write them in batches).</summary>
    private static async Task<AuditRow> AuditRowAsync(TestPostgres database, string keyId, bool stream, TimeSpan timeout,
        string? userAgentPrefix = "claude-cli/", long minimumOutputTokens = 1)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using (var command = database.DataSource.CreateCommand(
                "SELECT status, output_tokens, user_agent FROM request_log WHERE key_id = @k AND stream = @s AND output_tokens >= @o " +
                "AND (@ua::text IS NULL OR user_agent LIKE @ua || '%') ORDER BY at DESC LIMIT 1"))
            {
                command.Parameters.Add(new NpgsqlParameter("k", keyId));
                command.Parameters.Add(new NpgsqlParameter("s", stream));
                command.Parameters.Add(new NpgsqlParameter("o", minimumOutputTokens));
                command.Parameters.Add(new NpgsqlParameter("ua", (object?)userAgentPrefix ?? DBNull.Value) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                await using var reader = await command.ExecuteReaderAsync();
                if (await reader.ReadAsync())
                {
                    return new AuditRow(reader.GetInt32(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2));
                }
            }
            Assert.True(clock.Elapsed < timeout, $"no audit row for key {keyId} (stream={stream}, output_tokens>={minimumOutputTokens}) within {timeout.TotalSeconds:0} s");
            await Task.Delay(200);
        }
    }

    private static async Task<decimal> SpentAsync(TestPostgres database, string keyId)
    {
        await using var command = database.DataSource.CreateCommand("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = @k");
        command.Parameters.Add(new NpgsqlParameter("k", keyId));
        return (decimal)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>helm --set separates pairs at commas: a value keeps its own commas escaped.</summary>
    private static string SetValue(string value) => value.Replace(",", "\\,", StringComparison.Ordinal);
}

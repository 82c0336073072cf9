using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Bench;

/// <summary>
/// What the accuracy bench measures: the fake upstream, one silo and N fronts, each its own process on loopback
/// (localhost clustering: with one silo, membership plays no part in admission), keys and spend in a scratch
/// Postgres database when a server is given.
/// </summary>
internal sealed class AccuracyCluster : IAsyncDisposable
{
    private const string AdminToken = "bench-admin-token-0123456789";
    private readonly List<ChildProcess> _processes = [];
    private string? _server;
    private string? _database;
    private string? _teamId;

    /// <summary>Output tokens the fake produces per reply (less when max_tokens is smaller).</summary>
    public const int OutputTokens = 200;

    private readonly SemaphoreSlim _teamOnce = new(1, 1);

    public List<Uri> Fronts { get; } = [];

    public static async Task<AccuracyCluster> StartAsync(int fronts, AccuracyOptions options)
    {
        var cluster = new AccuracyCluster();
        try
        {
            await cluster.StartAllAsync(fronts, options);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    private async Task StartAllAsync(int fronts, AccuracyOptions options)
    {
        var frontDll = ProjectBinary.Find("Gateway.Front", options.Configuration);
        var siloDll = ProjectBinary.Find("Gateway.Silo", options.Configuration);
        var fakeDll = ProjectBinary.Find("Gateway.FakeUpstream", options.Configuration);
        var quiet = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" };
        var upstreamPort = ChildProcess.FreePort();
        var upstream = await Start(ChildProcess.StartAsync(fakeDll,
            ["--urls", $"http://127.0.0.1:{upstreamPort}", "--MaxRecordedRequests", "0", "--OutputTokens", OutputTokens.ToString(CultureInfo.InvariantCulture)],
            quiet, upstreamPort));
        var id = "accuracy-" + Guid.NewGuid().ToString("N")[..8];
        var cluster = new Dictionary<string, string>(quiet)
        {
            ["Cluster__ClusterId"] = id,
            ["Cluster__ServiceId"] = id,
            ["Cluster__SiloPort"] = ChildProcess.FreePort().ToString(),
            ["Cluster__GatewayPort"] = ChildProcess.FreePort().ToString(),
        };
        if (options.Postgres is { } server)
        {
            _server = server;
            _database = "gw_accuracy_" + Guid.NewGuid().ToString("N")[..12];
            await PostgresCommand.ExecuteAsync(server, $"CREATE DATABASE \"{_database}\"");
            cluster["Postgres__ConnectionString"] = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = _database }.ConnectionString;
        }
        var siloPort = ChildProcess.FreePort();
        await Start(ChildProcess.StartAsync(siloDll, [], new Dictionary<string, string>(cluster) { ["Urls"] = $"http://127.0.0.1:{siloPort}" },
            siloPort, probePath: "readyz"));
        for (var i = 0; i < fronts; i++)
        {
            var port = ChildProcess.FreePort();
            var front = await Start(ChildProcess.StartAsync(frontDll, [], new Dictionary<string, string>(cluster)
            {
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Cluster__Mode"] = "Client",
                ["Upstream__BaseUrl"] = upstream.Address.ToString(),
                ["Upstream__ApiKeys__0"] = "sk-bench-upstream",
                ["Auth__Mode"] = "VirtualKeys",
                ["Admin__Token"] = AdminToken,
                ["CacheInjection__Enabled"] = "false",
            }, port, probePath: "readyz"));
            Fronts.Add(front.Address);
        }
    }

    /// <summary>A fresh key (a full bucket) with the given limits, as the admin API takes them; returns its id and secret.</summary>
    public async Task<(string Id, string Secret)> CreateKeyAsync(object limits, object? sessionLimits = null)
    {
        using var admin = Admin();
        await _teamOnce.WaitAsync();
        try
        {
            if (_teamId is null)
            {
                using var team = await admin.PostAsJsonAsync("admin/teams", new { name = "accuracy", billing_tag = "accuracy" });
                var teamBody = await team.Content.ReadAsStringAsync();
                _teamId = team.IsSuccessStatusCode ? JsonDocument.Parse(teamBody).RootElement.GetProperty("id").GetString()
                    : throw new InvalidOperationException("creating the bench team failed: " + teamBody);
            }
        }
        finally
        {
            _teamOnce.Release();
        }
        using var key = await admin.PostAsJsonAsync("admin/keys", new { team_id = _teamId, name = "accuracy", limits, session_limits = sessionLimits });
        var body = await key.Content.ReadAsStringAsync();
        if (!key.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("creating the bench key failed: " + body);
        }
        var created = JsonDocument.Parse(body).RootElement;
        return (created.GetProperty("id").GetString()!, created.GetProperty("secret").GetString()!);
    }

    /// <summary>What is left in one of the key's buckets now, as its grain holds it (GET /admin/keys/{id}/usage).</summary>
    public async Task<long> RemainingAsync(string keyId, string bucket)
    {
        using var admin = Admin();
        var usage = JsonDocument.Parse(await admin.GetStringAsync($"admin/keys/{keyId}/usage")).RootElement;
        return usage.GetProperty(bucket).GetProperty("remaining").GetInt64();
    }

    private HttpClient Admin()
    {
        var admin = new HttpClient { BaseAddress = Fronts[0] };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return admin;
    }

    private async Task<ChildProcess> Start(Task<ChildProcess> starting)
    {
        var process = await starting;
        _processes.Add(process);
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        _teamOnce.Dispose();
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        if (_database is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await PostgresCommand.ExecuteAsync(_server!, $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");
        }
    }
}

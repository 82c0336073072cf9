using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Deploy;

/// <summary>
/// There is no cluster here, so this test stands in for one: it renders the chart
/// (<c>helm/ci/external-databases.yaml</c>), reads the Deployments' and the migrations Job's commands, ports and
/// environment, resolves every <c>valueFrom</c> (Secret and ConfigMap keys from the rendered objects, downward-API
/// fields to 127.0.0.1 and pod names), maps the cluster's addresses to this machine (each containerPort to a free
/// loopback port, the external Postgres and Redis DNS names to the test servers, the upstream API to the fake
/// upstream), and runs the SAME binaries with exactly that configuration: the Job's command against an empty
/// database, then a silo and a front. It then follows Ingress → Service → targetPort → containerPort to reach
/// the front, checks every probe, creates a team and key through the admin API as NOTES.txt says, and sends a
/// request the way Claude Code would (<c>ANTHROPIC_AUTH_TOKEN</c>) through front → silo grain → fake upstream.
/// <para>
/// The only setting changed besides addresses is <c>Cluster__ClusterId</c> (unique per run, so a shared Redis
/// never mixes runs); replicas are started once each.
/// </para>
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartWiringTests
{
    private const string Release = "gw";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Rendered_configuration_runs_migrations_and_serves_a_request_through_front_silo_and_upstream()
    {
        var values = DeployTools.CiValues("external-databases.yaml");
        var chart = await DeployTools.RenderValidAsync(Release, [values]);
        var notes = await DeployTools.HelmAsync("install", Release, DeployTools.ChartDirectory, "-f", values, "--dry-run=client", "--namespace", "gateway");
        Assert.True(notes.ExitCode == 0, notes.Output);

        await using var database = await TestPostgres.CreateAsync();
        var redis = await TestRedis.EndpointAsync();
        await using var upstream = await FakeUpstreamServer.StartAsync();

        // Where the cluster's names lead on this machine.
        var rendered = chart.ConfigValue($"{Release}-gateway-config", "Upstream__BaseUrl");
        var clusterId = TestRedis.NewClusterId("helm");
        var map = new AddressMap(chart, database.ConnectionString, redis, rendered, upstream.BaseAddress.ToString().TrimEnd('/'), clusterId);

        var logs = Path.Combine(Path.GetTempPath(), "gateway-deploy-tests", clusterId);
        Directory.CreateDirectory(logs);
        var processes = new List<GatewayProcess>();
        try
        {
            // 1. The migrations Job, as Helm runs it before install: exit 0, schema in place.
            var job = chart.Get("Job", $"{Release}-gateway-migrations");
            var migrate = map.Start(job, "migrations-0", logs);
            processes.Add(migrate);
            var exit = await migrate.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.True(exit == 0, $"migrations Job exited {exit?.ToString() ?? "(still running)"}\n{migrate.Describe(80)}");
            await using (var command = database.DataSource.CreateCommand("SELECT count(*) FROM schema_migrations"))
            {
                Assert.True((long)(await command.ExecuteScalarAsync())! > 0, "the Job applied no migration");
            }

            // 2. A silo and a front from their Deployments (the apps do not migrate: Postgres__MigrateOnStart=false).
            var silo = map.Start(chart.Get("Deployment", $"{Release}-gateway-silo"), $"{Release}-gateway-silo-0", logs);
            processes.Add(silo);
            Assert.True(await silo.WaitReadyAsync(ReadyTimeout), silo.Describe(80));
            var front = map.Start(chart.Get("Deployment", $"{Release}-gateway-front"), $"{Release}-gateway-front-0", logs);
            processes.Add(front);
            Assert.True(await front.WaitReadyAsync(ReadyTimeout), front.Describe(80) + silo.Describe(40));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

            // 3. Every probe of both Deployments answers 200 on the port it names.
            foreach (var name in new[] { "silo", "front" })
            {
                var deployment = chart.Get("Deployment", $"{Release}-gateway-{name}");
                foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
                {
                    var get = AddressMap.Container(deployment).GetProperty(probe).GetProperty("httpGet");
                    var port = map.LocalPort(deployment, get.GetProperty("port"));
                    using var response = await http.GetAsync($"http://127.0.0.1:{port}{get.GetProperty("path").GetString()}");
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} {probe} {get} answered {(int)response.StatusCode}");
                }
            }

            // 4. The public base URL: Ingress backend → front Service port → targetPort → container port.
            var ingress = chart.Get("Ingress", $"{Release}-gateway");
            var backend = ingress.GetProperty("spec").GetProperty("rules")[0].GetProperty("http").GetProperty("paths")[0].GetProperty("backend").GetProperty("service");
            var baseUrl = $"http://127.0.0.1:{map.ServicePort(backend.GetProperty("name").GetString()!, backend.GetProperty("port"))}";

            // 5. The first team and key, as NOTES.txt says (admin token from the release's Secret).
            Assert.Contains("/admin/teams", notes.Output);
            Assert.Contains("ANTHROPIC_AUTH_TOKEN", notes.Output);
            Assert.Contains($"ANTHROPIC_BASE_URL=https://{ingress.GetProperty("spec").GetProperty("rules")[0].GetProperty("host").GetString()}", notes.Output);
            var adminToken = chart.SecretValue($"{Release}-gateway", "admin-token");
            var team = await AdminAsync(http, baseUrl, adminToken, "/admin/teams", """{"name":"platform"}""");
            var key = await AdminAsync(http, baseUrl, adminToken, "/admin/keys",
                JsonSerializer.Serialize(new { team_id = team.GetProperty("id").GetString(), name = "first key", limits = new { requests_per_minute = 60 } }));
            var secret = key.GetProperty("secret").GetString()!;

            // 6. Claude Code's way in: Authorization: Bearer <virtual key>, streaming, through the grain to the upstream.
            using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/messages?beta=true") { Content = Json.Body(Json.SmallStreamingRequest) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            request.Headers.Add("anthropic-version", "2023-06-01");
            using var answer = await http.SendAsync(request);
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{(int)answer.StatusCode} {body}\n{front.Describe(60)}");
            Assert.Contains("message_stop", body);
            var received = Assert.Single(upstream.Received, r => r.PathAndQuery.StartsWith("/v1/messages", StringComparison.Ordinal));
            var upstreamKey = received.Headers.First(h => h.Key.Equals("x-api-key", StringComparison.OrdinalIgnoreCase)).Value;
            Assert.StartsWith("sk-ant-ci-external-", upstreamKey); // an upstream key from the rendered Secret, never the virtual key
            Assert.True(answer.Headers.Contains("anthropic-ratelimit-requests-limit"), "the key's limits (held by its grain on the silo) were not applied");

            // 7. /metrics only on the metrics port (Metrics__Port), not on the API port the Ingress reaches.
            var frontDeployment = chart.Get("Deployment", $"{Release}-gateway-front");
            var metricsPort = map.LocalPort(frontDeployment, JsonDocument.Parse("\"metrics\"").RootElement);
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            Assert.Contains("gateway_requests_total", metrics);
            using var hidden = await http.GetAsync(baseUrl + "/metrics");
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        finally
        {
            processes.Reverse(); // fronts first, as a rollout would stop them
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    private static async Task<JsonElement> AdminAsync(HttpClient http, string baseUrl, string token, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + path) { Content = Json.Body(json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {body}");
        return Json.Parse(body);
    }

    /// <summary>Turns a rendered pod spec into a local process: environment resolved, addresses mapped.</summary>
    internal sealed class AddressMap(RenderedChart chart, string postgres, string redis, string upstreamUrl, string fakeUpstreamUrl, string clusterId)
    {
        private readonly Dictionary<(string Workload, int ContainerPort), int> _ports = [];

        public static JsonElement Container(JsonElement workload) =>
            workload.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

        /// <summary>The loopback port standing in for a container port (by number or by name).</summary>
        public int LocalPort(JsonElement workload, JsonElement port)
        {
            var number = port.ValueKind == JsonValueKind.Number
                ? port.GetInt32()
                : Container(workload).GetProperty("ports").EnumerateArray()
                    .Single(p => p.GetProperty("name").GetString() == port.GetString()).GetProperty("containerPort").GetInt32();
            Assert.Contains(Container(workload).GetProperty("ports").EnumerateArray(), p => p.GetProperty("containerPort").GetInt32() == number);
            var key = (RenderedChart.Name(workload), number);
            if (!_ports.TryGetValue(key, out var local))
            {
                _ports[key] = local = ClusterProcesses.FreePort();
            }
            return local;
        }

        /// <summary>A Service port → its targetPort on the Deployment its selector picks → the loopback port.</summary>
        public int ServicePort(string serviceName, JsonElement servicePort)
        {
            var service = chart.Get("Service", serviceName);
            var port = service.GetProperty("spec").GetProperty("ports").EnumerateArray().Single(p =>
                servicePort.TryGetProperty("name", out var n) ? p.GetProperty("name").GetString() == n.GetString() : p.GetProperty("port").GetInt32() == servicePort.GetProperty("number").GetInt32());
            var selector = service.GetProperty("spec").GetProperty("selector").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
            var workload = chart.OfKind("Deployment").Single(d =>
            {
                var labels = d.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels");
                return selector.All(s => labels.TryGetProperty(s.Key, out var v) && v.GetString() == s.Value);
            });
            return LocalPort(workload, port.GetProperty("targetPort"));
        }

        public GatewayProcess Start(JsonElement workload, string podName, string logDirectory)
        {
            var container = Container(workload);
            var command = container.GetProperty("command").EnumerateArray().Select(c => c.GetString()!).ToList();
            Assert.Equal("dotnet", command[0]);
            var role = command[1] switch
            {
                "Gateway.Silo.dll" => GatewayRole.Silo,
                "Gateway.Front.dll" => GatewayRole.Front,
                var other => throw new Xunit.Sdk.XunitException($"unknown binary {other}"),
            };

            var env = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (container.TryGetProperty("envFrom", out var envFrom))
            {
                foreach (var source in envFrom.EnumerateArray())
                {
                    var map = chart.Get("ConfigMap", source.GetProperty("configMapRef").GetProperty("name").GetString()!);
                    foreach (var entry in map.GetProperty("data").EnumerateObject())
                    {
                        env[entry.Name] = entry.Value.GetString();
                    }
                }
            }
            foreach (var variable in container.TryGetProperty("env", out var list) ? list.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                env[variable.GetProperty("name").GetString()!] = Resolve(variable, podName);
            }

            // Addresses: every container port the process is told about, the databases, the upstream.
            var ports = container.TryGetProperty("ports", out var declared)
                ? declared.EnumerateArray().Select(p => p.GetProperty("containerPort").GetInt32()).ToList()
                : [];
            foreach (var name in env.Keys.ToList())
            {
                var value = env[name] ?? "";
                if (name == "Urls")
                {
                    value = Regex.Replace(value, @"http://0\.0\.0\.0:(\d+)", m =>
                    {
                        var port = int.Parse(m.Groups[1].Value);
                        Assert.True(ports.Contains(port), $"{podName} listens on {port}, which is no containerPort");
                        return $"http://127.0.0.1:{LocalPort(workload, JsonDocument.Parse(m.Groups[1].Value).RootElement)}";
                    });
                }
                else if (int.TryParse(value, out var number) && ports.Contains(number) && name.EndsWith("Port", StringComparison.Ordinal))
                {
                    value = LocalPort(workload, JsonDocument.Parse(value).RootElement).ToString();
                }
                env[name] = value;
            }
            if (env.TryGetValue("Postgres__ConnectionString", out var connection))
            {
                env["Postgres__ConnectionString"] = MapPostgres(connection!);
            }
            if (env.TryGetValue("Cluster__RedisConnectionString", out var membership))
            {
                Assert.Matches(@"^[a-z0-9.-]+:\d+$", membership);
                env["Cluster__RedisConnectionString"] = redis;
            }
            if (env.TryGetValue("Upstream__BaseUrl", out var baseUrl))
            {
                Assert.Equal(upstreamUrl, baseUrl);
                env["Upstream__BaseUrl"] = fakeUpstreamUrl;
            }
            if (env.ContainsKey("Cluster__ClusterId"))
            {
                env["Cluster__ClusterId"] = clusterId;
            }

            var http = env.TryGetValue("Urls", out var urls) ? new Uri(urls!.Split(';')[0].TrimEnd('/') + "/") : new Uri("http://127.0.0.1:1/");
            var process = new GatewayProcess(podName, role, ClusterProcesses.DllPath(role), command.Skip(2).ToList(), http, env,
                Path.Combine(logDirectory, podName + ".log"));
            process.Start();
            return process;
        }

        private string? Resolve(JsonElement variable, string podName)
        {
            if (variable.TryGetProperty("value", out var value))
            {
                return value.GetString();
            }
            var from = variable.GetProperty("valueFrom");
            if (from.TryGetProperty("secretKeyRef", out var secret))
            {
                return chart.SecretValue(secret.GetProperty("name").GetString()!, secret.GetProperty("key").GetString()!);
            }
            if (from.TryGetProperty("configMapKeyRef", out var config))
            {
                return chart.ConfigValue(config.GetProperty("name").GetString()!, config.GetProperty("key").GetString()!);
            }
            return from.GetProperty("fieldRef").GetProperty("fieldPath").GetString() switch
            {
                "status.podIP" => "127.0.0.1",
                "metadata.name" => podName,
                "metadata.namespace" => "gateway",
                var field => throw new Xunit.Sdk.XunitException($"unmapped downward-API field {field}"),
            };
        }

        /// <summary>The external Postgres (its DNS name in the rendered Secret) is the test database here.</summary>
        private string MapPostgres(string rendered)
        {
            var cluster = new NpgsqlConnectionStringBuilder(rendered);
            Assert.EndsWith(".svc.cluster.local", cluster.Host);
            var local = new NpgsqlConnectionStringBuilder(postgres);
            cluster.Host = local.Host;
            cluster.Port = local.Port;
            cluster.Username = local.Username;
            cluster.Password = local.Password;
            cluster.Database = local.Database;
            return cluster.ConnectionString;
        }
    }
}

using System.Text.Json;
using Gateway.Front.Metrics;
using Gateway.Grains.Metrics;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The Helm chart in <c>helm/</c>: lint and template for each CI values file, every rendered object valid against
/// the Kubernetes schemas (offline, npm <c>kubernetes-models</c>), the properties a platform team checks, the
/// plain manifests in <c>k8s/</c> equal to the chart's rendering, values.schema.json rejecting bad values, and the
/// Grafana dashboard querying only metrics the gateway exports.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartTests
{
    public static TheoryData<string> ValuesFiles => new() { "minimal.yaml", "external-databases.yaml", "production.yaml" };

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Lints_cleanly(string values)
    {
        var (code, output) = await DeployTools.HelmAsync("lint", DeployTools.ChartDirectory, "--strict", "-f", DeployTools.CiValues(values));
        Assert.True(code == 0, output);
        Assert.Contains("0 chart(s) failed", output);
    }

    [Theory]
    [InlineData("minimal.yaml", new[] { "ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "StatefulSet" })]
    [InlineData("external-databases.yaml", new[] { "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Job", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount" })]
    [InlineData("production.yaml", new[] { "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Job", "NetworkPolicy", "PodDisruptionBudget", "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor" })]
    public async Task Renders_objects_valid_against_the_Kubernetes_schemas(string values, string[] kinds)
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues(values)]);
        Assert.Equal(kinds.Order(StringComparer.Ordinal), chart.Kinds);
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Pods_are_locked_down_and_probed(string values)
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues(values)]);
        foreach (var workload in chart.Objects.Where(o => o.GetProperty("kind").GetString() is "Deployment" or "StatefulSet" or "Job"))
        {
            var name = RenderedChart.Name(workload);
            var pod = workload.GetProperty("spec").GetProperty("template").GetProperty("spec");
            Assert.True(pod.GetProperty("securityContext").GetProperty("runAsNonRoot").GetBoolean(), name);
            Assert.False(pod.GetProperty("automountServiceAccountToken").GetBoolean(), name);
            foreach (var container in pod.GetProperty("containers").EnumerateArray())
            {
                var security = container.GetProperty("securityContext");
                Assert.True(security.GetProperty("readOnlyRootFilesystem").GetBoolean(), name);
                Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean(), name);
                Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(c => c.GetString()));
                Assert.True(container.GetProperty("resources").TryGetProperty("limits", out _), $"{name} has no resource limits");
                Assert.True(container.GetProperty("resources").TryGetProperty("requests", out _), $"{name} has no resource requests");
            }
        }

        foreach (var component in new[] { "front", "silo" })
        {
            var container = Container(chart.Get("Deployment", $"gw-gateway-{component}"));
            Assert.Equal("/readyz", container.GetProperty("readinessProbe").GetProperty("httpGet").GetProperty("path").GetString());
            Assert.Equal("/healthz", container.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
            Assert.True(container.TryGetProperty("startupProbe", out _));
            Assert.Contains(container.GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == "/tmp");
        }

        // Silos: the pod's identity through the downward API, and a grace period longer than the Orleans shutdown.
        var silo = chart.Get("Deployment", "gw-gateway-silo");
        var env = Container(silo).GetProperty("env").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("status.podIP", FieldPath(env["Cluster__AdvertisedIPAddress"]));
        Assert.Equal("status.podIP", FieldPath(env["POD_IP"]));
        Assert.Equal("metadata.name", FieldPath(env["POD_NAME"]));
        Assert.Equal("metadata.namespace", FieldPath(env["POD_NAMESPACE"]));
        var shutdown = TimeSpan.Parse(env["Cluster__ShutdownTimeout"].GetProperty("value").GetString()!);
        var grace = silo.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("terminationGracePeriodSeconds").GetInt32();
        Assert.Equal(TimeSpan.FromMinutes(2), shutdown);
        Assert.Equal(150, grace);

        // The migrations Job is a Helm hook running the silo's migrate verb.
        var job = chart.Get("Job", "gw-gateway-migrations");
        Assert.Equal(["dotnet", "Gateway.Silo.dll", "migrate"], Container(job).GetProperty("command").EnumerateArray().Select(c => c.GetString()));
        var hook = job.GetProperty("metadata").GetProperty("annotations").GetProperty("helm.sh/hook").GetString();
        Assert.Equal(values == "minimal.yaml" ? "post-install,post-upgrade" : "pre-install,pre-upgrade", hook);

        // Every workload has a disruption budget; fronts autoscale unless told not to.
        Assert.Equal(2, chart.OfKind("PodDisruptionBudget").Count());
    }

    [Fact]
    public async Task Ingress_streams_without_buffering_and_serves_only_the_API()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("production.yaml")]);
        var ingress = chart.Get("Ingress", "gw-gateway");
        var annotations = ingress.GetProperty("metadata").GetProperty("annotations");
        Assert.Equal("off", annotations.GetProperty("nginx.ingress.kubernetes.io/proxy-buffering").GetString());
        Assert.Equal("off", annotations.GetProperty("nginx.ingress.kubernetes.io/proxy-request-buffering").GetString());
        Assert.True(int.Parse(annotations.GetProperty("nginx.ingress.kubernetes.io/proxy-read-timeout").GetString()!) >= 600);
        Assert.Equal("letsencrypt-prod", annotations.GetProperty("cert-manager.io/cluster-issuer").GetString());
        Assert.Equal("llm-gateway-tls", ingress.GetProperty("spec").GetProperty("tls")[0].GetProperty("secretName").GetString());
        var paths = ingress.GetProperty("spec").GetProperty("rules")[0].GetProperty("http").GetProperty("paths").EnumerateArray()
            .Select(p => $"{p.GetProperty("pathType").GetString()} {p.GetProperty("path").GetString()}").ToList();
        Assert.Equal(["Prefix /v1", "Exact /"], paths);
    }

    [Fact]
    public async Task Plain_manifests_in_k8s_are_the_charts_rendering()
    {
        var (code, output) = await DeployTools.RunAsync("bash", [Path.Combine(RepoPaths.Root, "scripts", "render-k8s.sh"), "--check"],
            new Dictionary<string, string> { ["HELM_BIN"] = DeployTools.Helm });
        Assert.True(code == 0, "k8s/gateway.yaml differs from the chart's rendering; run scripts/render-k8s.sh and commit:\n" + output);
        var result = await DeployTools.ValidateAsync(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "k8s", "gateway.yaml")));
        Assert.True(result.ExitCode == 0, result.Report);
        Assert.Contains(result.Objects, o => o.GetProperty("kind").GetString() == "Deployment");
    }

    [Theory]
    [InlineData("front.replicas=two", "/front/replicas", "want integer")]
    [InlineData("front.replicas=-1", "/front/replicas", "minimum")]
    [InlineData("silo.resources.limits.cpu=-2", "/silo/resources/limits/cpu", "minimum")]
    [InlineData("front.resources.limits.memory=-1Gi", "/front/resources/limits/memory", "does not match pattern")]
    [InlineData("front.autoscaling.maxReplicas=0", "/front/autoscaling/maxReplicas", "minimum")]
    [InlineData("upstream.apiKeys=null", "/upstream", "apiKeys")]
    [InlineData("admin.token=short", "/admin/token", "minLength")]
    [InlineData("identity.signingKey=short", "/identity/signingKey", "minLength")]
    [InlineData("auth.mode=Open", "/auth/mode", "value must be one of")]
    [InlineData("ingress.paths[0].path=v1", "/ingress/paths/0/path", "does not match pattern")]
    [InlineData("frontReplicas=2", "", "additional properties 'frontReplicas' not allowed")]
    public async Task Schema_rejects_bad_values_with_the_path_and_reason(string set, string path, string reason)
    {
        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", DeployTools.CiValues("minimal.yaml"), "--set", set);
        Assert.NotEqual(0, code);
        Assert.Contains("values don't meet the specifications of the schema", output);
        Assert.Contains($"at '{path}'", output);
        Assert.Contains(reason, output);
    }

    [Fact]
    public async Task A_signing_key_for_peoples_tokens_reaches_the_fronts_from_the_releases_secret()
    {
        const string key = "chart-identity-signing-key-0123456789";
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("minimal.yaml")], ["identity.signingKey=" + key]);

        var env = Workloads.Env(chart.Get("Deployment", "gw-gateway-front"));
        var reference = env["Identity__SigningKey"].GetProperty("valueFrom").GetProperty("secretKeyRef");
        Assert.Equal("gw-gateway", reference.GetProperty("name").GetString());
        Assert.Equal(key, chart.SecretValue("gw-gateway", reference.GetProperty("key").GetString()!));
        Assert.DoesNotContain("Identity__SigningKey", Workloads.Env(chart.Get("Deployment", "gw-gateway-silo")).Keys);

        var off = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("minimal.yaml")]);
        Assert.DoesNotContain("Identity__SigningKey", Workloads.Env(off.Get("Deployment", "gw-gateway-front")).Keys);
    }

    [Theory]
    [InlineData("silo.terminationGracePeriodSeconds=100", "must be longer than silo.shutdownTimeoutSeconds")]
    [InlineData("postgresql.enabled=false", "Postgres: set postgres.connectionString")]
    public async Task Template_checks_reject_inconsistent_values(string set, string message)
    {
        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", DeployTools.CiValues("minimal.yaml"), "--set", set);
        Assert.NotEqual(0, code);
        Assert.Contains(message, output);
    }

    [Fact]
    public async Task Dashboard_queries_only_metrics_the_gateway_exports()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("minimal.yaml")]);
        var map = chart.Get("ConfigMap", "gw-gateway-dashboard");
        Assert.Equal("1", map.GetProperty("metadata").GetProperty("labels").GetProperty("grafana_dashboard").GetString());
        var dashboard = JsonDocument.Parse(map.GetProperty("data").GetProperty("gateway.json").GetString()!).RootElement;

        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in FrontMetrics.Names.Concat(GrainMetrics.Names))
        {
            exported.UnionWith([name, name + "_bucket", name + "_sum", name + "_count"]);
        }

        var queries = new List<string>();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                queries.Add(target.GetProperty("expr").GetString()!);
            }
        }
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                queries.Add(variable.GetProperty("query").GetString()!);
            }
        }
        Assert.NotEmpty(queries);

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var metrics = PromQl.MetricNames(query);
            Assert.True(metrics.Count > 0, $"query names no gateway metric: {query}");
            foreach (var metric in metrics)
            {
                Assert.True(exported.Contains(metric), $"dashboard queries {metric}, which the gateway does not export (FrontMetrics.Names/GrainMetrics.Names): {query}");
                used.Add(metric);
            }
        }

        // What the dashboard is for: per team and model, latency per model, rejections, upstream errors, cache, audit.
        string[] required =
        [
            FrontMetrics.RequestsTotal, FrontMetrics.TokensTotal, FrontMetrics.CostUsdTotal, FrontMetrics.CacheSavingsUsdTotal,
            FrontMetrics.RequestDurationSeconds + "_bucket", FrontMetrics.TimeToFirstByteSeconds + "_bucket", FrontMetrics.RejectionsTotal,
            FrontMetrics.UpstreamErrorsTotal, FrontMetrics.AuditBufferDepthName,
        ];
        Assert.All(required, metric => Assert.Contains(metric, used));
    }

    private static JsonElement Container(JsonElement workload) =>
        workload.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];

    private static string? FieldPath(JsonElement env) =>
        env.GetProperty("valueFrom").GetProperty("fieldRef").GetProperty("fieldPath").GetString();
}

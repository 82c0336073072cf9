using System.Text.Json;

namespace Gateway.Tests.Deploy;

/// <summary>
/// What a platform team adds to the chart's pods: a ServiceAccount for workload identity (fronts, silos and the
/// migrations Job), labels, annotations, environment, volumes (a Postgres CA bundle), init containers, priority
/// classes and topology spread. Every rendering here is also validated against the Kubernetes schemas.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartExtensionPointTests
{
    private static readonly string External = DeployTools.CiValues("external-databases.yaml");

    private const string PlatformValues = """
        serviceAccount:
          annotations: {iam.gke.io/gcp-service-account: gateway@project.iam.gserviceaccount.com}
        podLabels: {azure.workload.identity/use: "true", app.kubernetes.io/component: hijacked}
        podAnnotations: {example.com/owner: platform}
        extraEnv: [{name: PGSSLROOTCERT, value: /etc/postgres-ca/ca.crt}]
        extraVolumes: [{name: postgres-ca, configMap: {name: postgres-ca}}]
        extraVolumeMounts: [{name: postgres-ca, mountPath: /etc/postgres-ca, readOnly: true}]
        initContainers: [{name: wait-for-proxy, image: "registry.example.com/tools:1", command: [/bin/true]}]
        front:
          priorityClassName: gateway-front
          podLabels: {tier: edge}
          podAnnotations: {example.com/owner: edge-team}
          extraEnv: [{name: FRONT_ONLY, value: "1"}]
        silo:
          priorityClassName: gateway-silo
          extraVolumes: [{name: scratch, emptyDir: {}}]
          extraVolumeMounts: [{name: scratch, mountPath: /scratch}]
          topologySpreadConstraints:
            - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
        """;

    [Fact]
    public async Task Every_gateway_pod_runs_as_the_release_service_account_with_its_annotations()
    {
        using var values = ValuesFile.Write(PlatformValues);
        var chart = await DeployTools.RenderValidAsync("gw", [External, values.Path]);

        var account = chart.Get("ServiceAccount", "gw-gateway");
        Assert.Equal("gateway@project.iam.gserviceaccount.com", Workloads.Annotation(account.GetProperty("metadata"), "iam.gke.io/gcp-service-account"));
        Assert.False(account.GetProperty("automountServiceAccountToken").GetBoolean());
        foreach (var component in new[] { "front", "silo" })
        {
            var pod = Workloads.PodSpec(chart.Get("Deployment", $"gw-gateway-{component}"));
            Assert.Equal("gw-gateway", pod.GetProperty("serviceAccountName").GetString());
        }

        // The Job runs before install, when the release's ServiceAccount does not exist yet: it gets a hook-made
        // copy with the same annotations, created before it (lower hook weight).
        var job = chart.Get("Job", "gw-gateway-migrations");
        var jobAccount = Workloads.PodSpec(job).GetProperty("serviceAccountName").GetString()!;
        var copy = chart.Get("ServiceAccount", jobAccount);
        var copyMeta = copy.GetProperty("metadata");
        Assert.Equal("gateway@project.iam.gserviceaccount.com", Workloads.Annotation(copyMeta, "iam.gke.io/gcp-service-account"));
        Assert.Equal(Workloads.Annotation(job.GetProperty("metadata"), "helm.sh/hook"), Workloads.Annotation(copyMeta, "helm.sh/hook"));
        Assert.True(int.Parse(Workloads.Annotation(copyMeta, "helm.sh/hook-weight")!) < int.Parse(Workloads.Annotation(job.GetProperty("metadata"), "helm.sh/hook-weight")!));
    }

    [Fact]
    public async Task An_existing_service_account_is_used_by_every_pod_and_none_is_created()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External], ["serviceAccount.create=false", "serviceAccount.name=gateway-wi"]);
        Assert.Empty(chart.OfKind("ServiceAccount"));
        Assert.All(Workloads.GatewayPods(chart), w => Assert.Equal("gateway-wi", Workloads.PodSpec(w).GetProperty("serviceAccountName").GetString()));
    }

    [Fact]
    public async Task With_the_trial_database_the_job_runs_after_install_as_the_release_service_account()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("minimal.yaml")]);
        Assert.Equal("gw-gateway", Assert.Single(chart.OfKind("ServiceAccount")).GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("gw-gateway", Workloads.PodSpec(chart.Get("Job", "gw-gateway-migrations")).GetProperty("serviceAccountName").GetString());
    }

    [Fact]
    public async Task Labels_annotations_env_volumes_and_init_containers_reach_every_pod_and_components_add_their_own()
    {
        using var values = ValuesFile.Write(PlatformValues);
        var chart = await DeployTools.RenderValidAsync("gw", [External, values.Path]);

        foreach (var workload in Workloads.GatewayPods(chart))
        {
            var name = RenderedChart.Name(workload);
            var component = name["gw-gateway-".Length..];
            var metadata = Workloads.PodMetadata(workload);
            var pod = Workloads.PodSpec(workload);
            var container = Workloads.Container(workload);

            Assert.Equal("true", Workloads.Label(metadata, "azure.workload.identity/use"));
            // podLabels never override the selector labels (the Deployment would stop matching its pods).
            Assert.Equal(component, Workloads.Label(metadata, "app.kubernetes.io/component"));
            Assert.Equal(component == "front" ? "edge-team" : "platform", Workloads.Annotation(metadata, "example.com/owner"));
            Assert.Equal("/etc/postgres-ca/ca.crt", Workloads.Env(workload)["PGSSLROOTCERT"].GetProperty("value").GetString());
            Assert.Contains("postgres-ca", Workloads.Names(pod, "volumes"));
            Assert.Contains(container.GetProperty("volumeMounts").EnumerateArray(), m => m.GetProperty("mountPath").GetString() == "/etc/postgres-ca");
            Assert.Equal(["wait-for-proxy"], Workloads.Names(pod, "initContainers"));
            // The chart's own mount and environment stay.
            Assert.Contains("tmp", Workloads.Names(pod, "volumes"));
            Assert.Contains("Postgres__ConnectionString", Workloads.Env(workload).Keys);
        }

        var front = chart.Get("Deployment", "gw-gateway-front");
        var silo = chart.Get("Deployment", "gw-gateway-silo");
        Assert.Equal("edge", Workloads.Label(Workloads.PodMetadata(front), "tier"));
        Assert.Null(Workloads.Label(Workloads.PodMetadata(silo), "tier"));
        Assert.Contains("FRONT_ONLY", Workloads.Env(front).Keys);
        Assert.DoesNotContain("FRONT_ONLY", Workloads.Env(silo).Keys);
        Assert.Equal(["tmp", "postgres-ca", "scratch"], Workloads.Names(Workloads.PodSpec(silo), "volumes"));
        Assert.DoesNotContain("scratch", Workloads.Names(Workloads.PodSpec(front), "volumes"));
        Assert.Equal("gateway-front", Workloads.PodSpec(front).GetProperty("priorityClassName").GetString());
        Assert.Equal("gateway-silo", Workloads.PodSpec(silo).GetProperty("priorityClassName").GetString());
        // The checksum annotations that roll pods on config changes survive podAnnotations.
        Assert.NotNull(Workloads.Annotation(Workloads.PodMetadata(front), "checksum/config"));
    }

    [Fact]
    public async Task Defaults_add_nothing_but_the_service_account()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External]);
        foreach (var workload in Workloads.GatewayPods(chart))
        {
            var pod = Workloads.PodSpec(workload);
            Assert.False(pod.TryGetProperty("initContainers", out _));
            Assert.False(pod.TryGetProperty("priorityClassName", out _));
            Assert.Equal(["tmp"], Workloads.Names(pod, "volumes"));
        }
    }

    [Theory]
    [InlineData("front")]
    [InlineData("silo")]
    public async Task Pods_spread_over_zones_and_nodes_by_default_selecting_their_own_component(string component)
    {
        var chart = await DeployTools.RenderValidAsync("gw", [External]);
        var constraints = Workloads.PodSpec(chart.Get("Deployment", $"gw-gateway-{component}")).GetProperty("topologySpreadConstraints").EnumerateArray().ToList();
        Assert.Equal(["topology.kubernetes.io/zone", "kubernetes.io/hostname"], constraints.Select(c => c.GetProperty("topologyKey").GetString()));
        foreach (var constraint in constraints)
        {
            // ScheduleAnyway: a single-zone cluster still schedules every replica.
            Assert.Equal("ScheduleAnyway", constraint.GetProperty("whenUnsatisfiable").GetString());
            var selector = constraint.GetProperty("labelSelector").GetProperty("matchLabels");
            Assert.Equal(component, selector.GetProperty("app.kubernetes.io/component").GetString());
            Assert.Equal("gw", selector.GetProperty("app.kubernetes.io/instance").GetString());
        }
    }

    [Fact]
    public async Task Topology_spread_is_replaced_by_the_values_and_can_be_turned_off()
    {
        using var values = ValuesFile.Write(PlatformValues);
        var chart = await DeployTools.RenderValidAsync("gw", [External, values.Path], ["front.topologySpreadConstraints=null"]);
        var silo = Workloads.PodSpec(chart.Get("Deployment", "gw-gateway-silo")).GetProperty("topologySpreadConstraints");
        var only = Assert.Single(silo.EnumerateArray());
        Assert.Equal("DoNotSchedule", only.GetProperty("whenUnsatisfiable").GetString());
        Assert.Equal(JsonValueKind.Object, only.GetProperty("labelSelector").ValueKind);
        Assert.False(Workloads.PodSpec(chart.Get("Deployment", "gw-gateway-front")).TryGetProperty("topologySpreadConstraints", out _));
    }

    [Theory]
    [InlineData("silo.topologySpreadConstraints[0].whenUnsatisfiable=Maybe", "/silo/topologySpreadConstraints/0/whenUnsatisfiable", "value must be one of")]
    [InlineData("extraVolumeMounts[0].name=ca", "/extraVolumeMounts/0", "mountPath")]
    [InlineData("front.initContainers[0].name=x", "/front/initContainers/0", "image")]
    [InlineData("serviceAccount.name=Not_A_Name", "/serviceAccount/name", "does not match pattern")]
    [InlineData("podLabels.team=7", "/podLabels/team", "want string")]
    public async Task Schema_rejects_malformed_extension_values(string set, string path, string reason)
    {
        var (code, output) = await DeployTools.HelmAsync("template", "gw", DeployTools.ChartDirectory, "-f", External, "--set", set);
        Assert.NotEqual(0, code);
        Assert.Contains($"at '{path}'", output);
        Assert.Contains(reason, output);
    }
}

using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deploy;

/// <summary>
/// <c>.github/workflows/release.yml</c>: it builds both images for amd64 and arm64, tags them with the appVersion it
/// reads from <c>helm/Chart.yaml</c> (running its own step), pushes them under exactly the names the chart's default
/// values pull, and publishes the chart to an <c>oci://</c> registry after the images. GitHub's runner is not here,
/// so its expressions are evaluated by <see cref="GitHubWorkflow"/> and its scripts run with bash.
/// </summary>
public sealed partial class ReleaseWorkflowTests
{
    private const string Path = ".github/workflows/release.yml";
    private static readonly GitHubWorkflow Workflow = GitHubWorkflow.Load(Path);
    private static readonly string[] Platforms = ["linux/amd64", "linux/arm64"];

    private static string AppVersion => ChartField("appVersion");

    private static string ChartVersion => ChartField("version");

    private static string ChartField(string field) =>
        YamlNodes.LoadAll(File.ReadAllText(System.IO.Path.Combine(RepoPaths.Root, "helm", "Chart.yaml"))).Single().Str(field);

    private static Dictionary<string, string> TagPush(string tag) => new()
    {
        ["GITHUB_REF_TYPE"] = "tag",
        ["GITHUB_REF_NAME"] = tag,
        ["GITHUB_REPOSITORY_OWNER"] = "anthropic-gateway",
    };

    [Fact]
    public void Runs_on_a_version_tag_or_by_hand_with_package_write_only()
    {
        Assert.Equal(["v*"], Workflow.Root.Strings("on", "push", "tags"));
        Assert.NotNull(Workflow.Root.Find("on", "workflow_dispatch"));
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read", ["packages"] = "write" }, Workflow.Root.Scalars("permissions"));
        Assert.Equal(["version", "images", "chart"], Workflow.JobNames);
    }

    [Fact]
    public void Builds_both_images_from_the_repository_root_for_amd64_and_arm64()
    {
        var builds = Workflow.Uses("docker/build-push-action").ToList();
        Assert.Equal(["Gateway.Front/Dockerfile", "Gateway.Silo/Dockerfile"], builds.Select(b => b.Step.Str("with", "file")).Order(StringComparer.Ordinal));
        foreach (var (job, step) in builds)
        {
            Assert.Equal(".", step.Str("with", "context"));
            var platforms = Workflow.Resolve(job, step.Str("with", "platforms"), new Dictionary<string, IReadOnlyDictionary<string, string>>());
            Assert.Equal(Platforms, platforms.Split(',').Select(p => p.Trim()).Order(StringComparer.Ordinal));

            // arm64 on an amd64 runner needs QEMU and a buildx builder, set up earlier in the same job; pushing
            // needs a login to GitHub's registry with the job's own token.
            var before = Workflow.Steps(job).TakeWhile(s => s != step).Select(s => s.StrOrNull("uses")?.Split('@')[0]).ToList();
            Assert.Contains("docker/setup-qemu-action", before);
            Assert.Contains("docker/setup-buildx-action", before);
            var login = Workflow.Steps(job).Single(s => s.StrOrNull("uses")?.StartsWith("docker/login-action@", StringComparison.Ordinal) == true);
            Assert.Equal("ghcr.io", Workflow.Resolve(job, login.Str("with", "registry"), new Dictionary<string, IReadOnlyDictionary<string, string>>()));
            Assert.Equal("${{ secrets.GITHUB_TOKEN }}", login.Str("with", "password"));
        }
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task Reads_appVersion_from_Chart_yaml_and_refuses_a_tag_that_differs()
    {
        var (code, output, outputs) = await Workflow.RunStepAsync("version", "chart", TagPush($"v{AppVersion}"));
        Assert.True(code == 0, output);
        Assert.Equal(AppVersion, outputs["app-version"]);
        Assert.Equal(ChartVersion, outputs["chart-version"]);
        Assert.Equal("true", outputs["push"]);

        (code, output, _) = await Workflow.RunStepAsync("version", "chart", TagPush("v99.0.0"));
        Assert.NotEqual(0, code);
        Assert.Contains($"does not match appVersion {AppVersion}", output);

        // Run by hand from a branch: built, not pushed.
        (code, output, outputs) = await Workflow.RunStepAsync("version", "chart", new Dictionary<string, string> { ["GITHUB_REF_TYPE"] = "branch", ["GITHUB_REF_NAME"] = "main" });
        Assert.True(code == 0, output);
        Assert.Equal("false", outputs["push"]);
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task Pushes_exactly_the_images_the_charts_defaults_pull()
    {
        var (_, _, outputs) = await Workflow.RunStepAsync("version", "chart", TagPush($"v{AppVersion}"));
        var stepOutputs = new Dictionary<string, IReadOnlyDictionary<string, string>> { ["version.chart"] = outputs };
        var pushed = Workflow.Uses("docker/build-push-action").ToDictionary(
            b => b.Step.Str("with", "file").Split('/')[0],
            b => Workflow.Resolve(b.Job, b.Step.Str("with", "tags"), stepOutputs).Trim());
        foreach (var (job, step) in Workflow.Uses("docker/build-push-action"))
        {
            Assert.Equal("${{ needs.version.outputs.push == 'true' }}", step.Str("with", "push"));
        }

        // The chart with nothing but what an install must give (databases, credentials): image fields are defaults.
        var rendered = YamlNodes.LoadAll(await DeployTools.TemplateAsync("gw", [DeployTools.CiValues("minimal.yaml")]));
        string Image(string deployment) => ((YamlSequenceNode)rendered
            .Single(o => o.Str("kind") == "Deployment" && o.Str("metadata", "name") == deployment)
            .Get("spec", "template", "spec", "containers")).Children.Single().Str("image");

        Assert.Equal($"ghcr.io/anthropic-gateway/gateway-front:{AppVersion}", pushed["Gateway.Front"]);
        Assert.Equal(pushed["Gateway.Front"], Image("gw-gateway-front"));
        Assert.Equal(pushed["Gateway.Silo"], Image("gw-gateway-silo"));
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task Stops_before_pushing_under_an_owner_its_token_cannot_write()
    {
        var (code, output, _) = await Workflow.RunStepAsync("version", "names", TagPush($"v{AppVersion}"));
        Assert.True(code == 0, output);
        (code, output, _) = await Workflow.RunStepAsync("version", "names", new Dictionary<string, string>(TagPush($"v{AppVersion}")) { ["GITHUB_REPOSITORY_OWNER"] = "SomeFork" });
        Assert.NotEqual(0, code);
        Assert.Contains("ghcr.io/somefork", output);
    }

    [Fact]
    public void Publishes_the_packaged_chart_to_an_oci_registry_after_both_images()
    {
        var chart = Workflow.Job("chart");
        Assert.Equal(["version", "images"], chart.Strings("needs"));
        Assert.Equal("needs.version.outputs.push == 'true'", chart.Str("if"));

        var repository = Workflow.Resolve("chart", "${{ env.CHART_REPOSITORY }}", new Dictionary<string, IReadOnlyDictionary<string, string>>());
        Assert.StartsWith("oci://ghcr.io/", repository);

        var script = Workflow.Steps("chart").Select(s => s.StrOrNull("run")).Single(r => r is not null)!;
        Assert.Matches(@"(?m)^\s*helm package helm\s*$", script);
        var push = HelmPush().Match(script);
        Assert.True(push.Success, script);
        Assert.Equal("\"$CHART_REPOSITORY\"", push.Groups[2].Value);

        // The packaged file is named after the chart's version, which the job gets from the version step.
        Assert.Equal("\"gateway-$CHART_VERSION.tgz\"", push.Groups[1].Value);
        Assert.Equal("${{ needs.version.outputs.chart-version }}", chart.Str("env", "CHART_VERSION"));
        Assert.Equal("gateway", ChartField("name"));
    }

    [GeneratedRegex(@"(?m)^\s*helm push (\S+) (\S+)\s*$")]
    private static partial Regex HelmPush();
}

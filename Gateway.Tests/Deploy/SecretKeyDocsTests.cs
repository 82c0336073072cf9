using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The Secrets a reader is told to create carry exactly the keys the chart's pods read: the install commands in
/// <c>docs/kubernetes.md</c> (rendered with that command's own <c>--set</c> values) and the Secrets listed in
/// <c>k8s/values.yaml</c> (rendered with that file). A key the docs create but no pod reads is a value silently
/// ignored; a key a pod reads that no Secret has leaves the pod in CreateContainerConfigError.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed partial class SecretKeyDocsTests
{
    [Fact]
    public async Task Docs_install_creates_exactly_the_secret_keys_the_pods_read()
    {
        var docs = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "kubernetes.md"));
        var install = CodeBlocks(docs).Single(b => b.Contains("create secret generic", StringComparison.Ordinal) && b.Contains("helm install", StringComparison.Ordinal));
        var sets = SetFlag().Matches(Commands(install).Single(c => c.StartsWith("helm install", StringComparison.Ordinal)))
            .Select(m => m.Groups[1].Value).ToList();
        var created = CreatedKeys(install);

        var read = ReadKeys(await DeployTools.TemplateAsync("gateway", [], sets));
        Assert.Equal(Sorted(created), Sorted(read));

        // Every other Secret the page creates (the production example) has a name and keys the install reads.
        foreach (var other in CodeBlocks(docs).Where(b => b != install))
        {
            Assert.Subset(read.ToHashSet(), CreatedKeys(other).ToHashSet());
        }
    }

    [Fact]
    public async Task Plain_manifests_values_list_exactly_the_secret_keys_the_pods_read()
    {
        var valuesFile = Path.Combine(RepoPaths.Root, "k8s", "values.yaml");
        // The Secrets to create are shell commands in the file's leading comment.
        var comment = string.Join('\n', (await File.ReadAllLinesAsync(valuesFile))
            .TakeWhile(l => l.StartsWith('#'))
            .Select(l => l.TrimStart('#').TrimStart()));
        var created = CreatedKeys(comment);
        Assert.NotEmpty(created);

        var read = ReadKeys(await DeployTools.TemplateAsync("gateway", [valuesFile]));
        Assert.Equal(Sorted(created), Sorted(read));
    }

    private static List<string> Sorted(IEnumerable<(string Secret, string Key)> keys) =>
        keys.Select(k => $"{k.Secret}/{k.Key}").Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The (Secret, key) pairs of every <c>kubectl create secret generic</c> in a shell text.</summary>
    private static List<(string Secret, string Key)> CreatedKeys(string shell) =>
        Commands(shell)
            .Select(c => CreateSecret().Match(c))
            .Where(m => m.Success)
            .SelectMany(m => FromLiteral().Matches(m.Groups[2].Value).Select(k => (m.Groups[1].Value, k.Groups[1].Value)))
            .ToList();

    /// <summary>
    /// The (Secret, key) pairs the rendered pods read through <c>secretKeyRef</c>, leaving out the Secrets the chart
    /// renders itself (those are filled from values, not created by the reader).
    /// </summary>
    private static List<(string Secret, string Key)> ReadKeys(string rendered)
    {
        var objects = YamlNodes.LoadAll(rendered);
        var chartSecrets = objects.Where(o => o.Str("kind") == "Secret").Select(o => o.Str("metadata", "name")).ToHashSet();
        var keys = new List<(string, string)>();
        foreach (var pod in objects.Select(o => o.Find("spec", "template", "spec")).OfType<YamlMappingNode>())
        {
            var containers = new[] { "containers", "initContainers" }
                .SelectMany(field => (pod.Find(field) as YamlSequenceNode)?.Children ?? []);
            foreach (var container in containers)
            {
                // A whole-Secret reference (envFrom secretRef) would need its own check; the chart has none.
                var envFrom = (container.Find("envFrom") as YamlSequenceNode)?.Children ?? [];
                Assert.DoesNotContain(envFrom, source => source.Find("secretRef") is not null);
                foreach (var env in (container.Find("env") as YamlSequenceNode)?.Children ?? [])
                {
                    if (env.Find("valueFrom", "secretKeyRef") is YamlMappingNode reference && !chartSecrets.Contains(reference.Str("name")))
                    {
                        keys.Add((reference.Str("name"), reference.Str("key")));
                    }
                }
            }
        }
        return keys;
    }

    private static IEnumerable<string> CodeBlocks(string markdown) =>
        CodeBlock().Matches(markdown).Select(m => m.Groups[1].Value);

    /// <summary>Shell commands with their backslash-newline continuations joined.</summary>
    private static IEnumerable<string> Commands(string shell) =>
        shell.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    [GeneratedRegex(@"```(?:bash|sh)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"create secret generic ([a-z0-9][a-z0-9.-]*)(.*)$")]
    private static partial Regex CreateSecret();

    [GeneratedRegex(@"--from-(?:literal|file)=([A-Za-z0-9._-]+)=")]
    private static partial Regex FromLiteral();

    [GeneratedRegex(@"--set ([^\s=]+=\S+)")]
    private static partial Regex SetFlag();
}

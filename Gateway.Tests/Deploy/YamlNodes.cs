using YamlDotNet.RepresentationModel;

namespace Gateway.Tests.Deploy;

/// <summary>
/// Reading YAML (a GitHub workflow, helm's rendering) by path with YamlDotNet's node model: a missing key or a
/// node of the wrong shape fails the test with the path it was looking for.
/// </summary>
internal static class YamlNodes
{
    /// <summary>Every non-empty document of a (multi-document) YAML text.</summary>
    public static IReadOnlyList<YamlMappingNode> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    public static YamlNode? Find(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }
            current = next;
        }
        return current;
    }

    public static YamlNode Get(this YamlNode node, params string[] path) =>
        node.Find(path) ?? throw new Xunit.Sdk.XunitException($"no {string.Join('.', path)} in the YAML");

    public static YamlMappingNode Map(this YamlNode node, params string[] path) =>
        node.Get(path) as YamlMappingNode ?? throw new Xunit.Sdk.XunitException($"{string.Join('.', path)} is not a mapping");

    public static string Str(this YamlNode node, params string[] path) =>
        (node.Get(path) as YamlScalarNode)?.Value ?? throw new Xunit.Sdk.XunitException($"{string.Join('.', path)} is not a scalar");

    public static string? StrOrNull(this YamlNode node, params string[] path) => (node.Find(path) as YamlScalarNode)?.Value;

    /// <summary>A sequence of scalars, or one scalar as a list of one (GitHub accepts both for tags and needs).</summary>
    public static IReadOnlyList<string> Strings(this YamlNode node, params string[] path) => node.Get(path) switch
    {
        YamlSequenceNode sequence => sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
        YamlScalarNode scalar => [scalar.Value!],
        _ => throw new Xunit.Sdk.XunitException($"{string.Join('.', path)} is neither a list nor a scalar"),
    };

    public static IReadOnlyDictionary<string, string> Scalars(this YamlNode node, params string[] path) =>
        node.Find(path) is YamlMappingNode map
            ? map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => (c.Value as YamlScalarNode)?.Value ?? "")
            : new Dictionary<string, string>();

    public static IEnumerable<string> Keys(this YamlMappingNode map) => map.Children.Keys.Select(k => ((YamlScalarNode)k).Value!);
}

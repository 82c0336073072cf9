using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Bench;

/// <summary>A request body the bench sends, by name ("small", "50 KB").</summary>
internal sealed record Body(string Name, byte[] Json, bool Stream);

/// <summary>
/// The two request shapes: a one-line prompt, and the recorded Claude Code request (Gateway.Tests/Fixtures/
/// claude-code/messages-after-tool.json: 50 KB, 12 tools, 3 system blocks, cache_control already on 3 blocks).
/// </summary>
internal static class Bodies
{
    private const string FixturePath = "Gateway.Tests/Fixtures/claude-code/messages-after-tool.json";
    private const string SmallJson = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";

    public static Body Small { get; } = new("small", Encoding.UTF8.GetBytes(SmallJson), Stream: false);

    public static Body SmallStream { get; } = new("small", Encoding.UTF8.GetBytes(SmallJson.Replace("\"max_tokens\":64,", "\"max_tokens\":64,\"stream\":true,")), Stream: true);

    public static Body Large { get; } = ClaudeCode(stream: false);

    public static Body LargeStream { get; } = ClaudeCode(stream: true);

    private static Body ClaudeCode(bool stream)
    {
        var node = JsonNode.Parse(File.ReadAllBytes(Path.Combine(Repo.Root, FixturePath)))!;
        node["stream"] = stream;
        var json = Encoding.UTF8.GetBytes(node.ToJsonString());
        return new Body($"{json.Length / 1000} KB Claude Code", json, stream);
    }
}

internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cluster.sln not found");
    }
}

using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Fuzz;

/// <summary>Real inputs the mutations start from: Claude Code's recorded request bodies and a few small requests.</summary>
internal static class FuzzCorpus
{
    private static readonly Lazy<byte[][]> s_requests = new(() =>
    [
        .. Directory.EnumerateFiles(RepoPaths.Fixture("claude-code"), "messages-*.json", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes),
        .. new[]
        {
            Json.SmallRequest,
            Json.SmallStreamingRequest,
            """{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are terse.","tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":[{"type":"text","text":"c"}]}],"metadata":{"user_id":"{\"device_id\":\"d\",\"session_id\":\"s-1\"}"},"x_future":{"nested":[1,2.50,"é"]}}""",
            """{"model":"claude-opus-5-5","max_tokens":64,"cache_control":{"type":"ephemeral"},"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}]}""",
        }.Select(Encoding.UTF8.GetBytes),
    ]);

    public static IReadOnlyList<byte[]> Requests => s_requests.Value;

    public static byte[] PickRequest(Random random) => Requests[random.Next(Requests.Count)];
}

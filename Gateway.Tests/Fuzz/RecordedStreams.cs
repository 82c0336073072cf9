using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// SSE streams recorded from the fake upstream over loopback (a text reply, a tool call, a reply cut by
/// max_tokens, a mid-stream error), plus one hand-written stream with CRLF lines and several deltas:
/// the starting points of the SSE tap's fuzzing.
/// </summary>
public sealed class RecordedStreams : IAsyncLifetime
{
    public List<byte[]> Streams { get; } = [];

    public async Task InitializeAsync()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { OutputTokens = 9, ReplyText = "Héllo, wörld — a reply 🙂 in pieces." });
        using var client = new HttpClient { BaseAddress = upstream.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", "sk-fuzz");
        string[] bodies =
        [
            Json.SmallStreamingRequest,
            """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"use a tool"}]}""",
            """{"model":"claude-opus-5-5","max_tokens":3,"stream":true,"system":[{"type":"text","text":"cached","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Say hello"}]}""",
        ];
        foreach (var body in bodies)
        {
            Streams.Add(await RecordAsync(client, body, fault: null));
        }
        Streams.Add(await RecordAsync(client, Json.SmallStreamingRequest, fault: "error-mid-stream"));
        Streams.Add(Encoding.UTF8.GetBytes(HandWritten));
    }

    private static async Task<byte[]> RecordAsync(HttpClient client, string body, string? fault)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(body) };
        if (fault is not null)
        {
            request.Headers.Add(FakeUpstreamHeaders.Fault, fault);
        }
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private const string HandWritten =
        "event: message_start\r\n" +
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-5-20250929\",\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":1000,\"cache_read_input_tokens\":2000,\"output_tokens\":1}}}\r\n\r\n" +
        ": a comment line\n" +
        "event: content_block_start\n" +
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{}}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"cmd\\\": \\\"ls\\\"}\"}}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":15}}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\":\"message_delta\",\n" +
        "data: \"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":42}}\n\n" +
        "event: message_stop\n" +
        "data: {\"type\":\"message_stop\"}\n\n";
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;

namespace Gateway.Tests.FakeUpstream;

/// <summary>Request builders and an incremental SSE reader shared by the fake-upstream tests.</summary>
internal static class FakeUpstreamTestKit
{
    public const string Key = "sk-ant-test-key";

    public static string Body(bool stream = false, int maxTokens = 100, string text = "Hi there") =>
        $$"""{"model":"claude-sonnet-4-5-20250929","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""";

    public static HttpRequestMessage Post(string path, string body, string? key = Key, string? fault = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }
        if (fault is not null)
        {
            request.Headers.Add(FakeUpstreamHeaders.Fault, fault);
        }
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    public static HttpClient Client(FakeUpstreamServer server) => new() { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts Anthropic's error shape and returns the error type.</summary>
    public static async Task<string> ErrorTypeAsync(HttpResponseMessage response)
    {
        var json = await JsonAsync(response);
        Assert.Equal("error", json.GetProperty("type").GetString());
        var requestId = json.GetProperty("request_id").GetString();
        Assert.StartsWith("req_", requestId);
        Assert.Equal(requestId, Header(response, "request-id"));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetProperty("message").GetString()));
        return json.GetProperty("error").GetProperty("type").GetString()!;
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content)
        : null;

    public sealed record SseEvent(string Name, string Data, TimeSpan At)
    {
        public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
    }

    /// <summary>
    /// Reads events as they arrive, stamping each with the time its last line was read; stops at the
    /// end of the stream or at a transport error (returned, so reset tests can inspect both).
    /// </summary>
    public static async Task<(List<SseEvent> Events, Exception? Error)> ReadEventsAsync(HttpResponseMessage response, Stopwatch clock)
    {
        var events = new List<SseEvent>();
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? name = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null)
                    {
                        events.Add(new SseEvent(name, data.ToString(), clock.Elapsed));
                    }
                    name = null;
                    data.Clear();
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data.Append(line["data: ".Length..]);
                }
            }
            return (events, null);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return (events, e);
        }
    }
}

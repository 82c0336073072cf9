using System.Text.Json;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Clients;

/// <summary>
/// Replays request bodies and headers recorded from Claude Code (2.1.332 and 2.1.197) and checks the
/// upstream receives the same bytes and headers: nothing a newer client adds may be lost.
/// </summary>
public sealed class RecordedClaudeCodeRequestTests : GatewayTestBase
{
    [Theory]
    [InlineData("messages-main-turn.json", "headers-main-turn.json")]
    [InlineData("messages-main-turn-sonnet-4-5.json", "headers-main-turn-sonnet-4-5.json")]
    [InlineData("messages-after-tool.json", "headers-main-turn.json")]
    [InlineData("messages-side-request.json", "headers-side-request.json")]
    public async Task Recorded_request_reaches_the_upstream_byte_for_byte(string bodyFile, string headersFile)
    {
        var body = await File.ReadAllBytesAsync(RepoPaths.Fixture("claude-code", bodyFile));
        var recorded = JsonDocument.Parse(await File.ReadAllTextAsync(RepoPaths.Fixture("claude-code", headersFile))).RootElement;
        using var client = new HttpClient { BaseAddress = Front.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, recorded.GetProperty("path").GetString()!.TrimStart('/'))
        {
            Content = new ByteArrayContent(body),
        };
        var skip = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Host", "Content-Length", "Connection", "Content-Type" };
        var sent = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in recorded.GetProperty("headers").EnumerateObject())
        {
            if (!skip.Contains(header.Name))
            {
                Assert.True(request.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString()), header.Name);
                sent[header.Name] = header.Value.GetString()!;
            }
        }
        request.Content.Headers.ContentType = new("application/json");
        // This test is about pass-through: server-side cache injection is switched off for the request.
        request.Headers.Add("x-gateway-cache-injection", "off");

        using var response = await client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("message_stop", await response.Content.ReadAsStringAsync());

        var seen = Assert.Single(Upstream.Received);
        Assert.Equal(body, seen.Body);
        Assert.Equal(recorded.GetProperty("path").GetString(), seen.PathAndQuery);
        foreach (var (name, value) in sent)
        {
            if (name.Equals("x-api-key", StringComparison.OrdinalIgnoreCase) || name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            Assert.True(seen.Headers.TryGetValue(name, out var got), $"{name} did not reach the upstream");
            Assert.Equal(value, got);
        }
    }

    [Theory]
    [InlineData("messages-main-turn.json")]
    [InlineData("messages-after-tool.json")]
    public async Task With_cache_injection_on_the_upstream_gets_one_more_breakpoint_and_nothing_else_changed(string bodyFile)
    {
        var body = await File.ReadAllBytesAsync(RepoPaths.Fixture("claude-code", bodyFile));
        using var client = Front.CreateClient();
        using var response = await client.PostAsync("v1/messages?beta=true", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync();

        var sent = System.Text.Encoding.UTF8.GetString(Assert.Single(Upstream.Received).Body);
        Assert.Equal(4, sent.Split("\"cache_control\"").Length - 1); // Claude Code's 3, plus the tools breakpoint
        // Take the added marker out again and the client's bytes come back exactly.
        const string marker = ",\"cache_control\":{\"type\":\"ephemeral\"}";
        var at = sent.LastIndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(body), sent.Remove(at, marker.Length));
    }
}

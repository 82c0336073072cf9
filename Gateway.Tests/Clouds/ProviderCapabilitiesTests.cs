using Gateway.Tests.Infrastructure;
using System.Text;
using Gateway.Front.Clouds;
using Gateway.Front.Metrics;
using Gateway.Front.Upstreams;
using Gateway.Tests.Metrics;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Clouds;

/// <summary>
/// One test per entry of the capability table (Clouds/ProviderCapabilities): what each provider kind refuses is
/// dropped (or moved) and counted, what it takes passes byte for byte.
/// </summary>
[Collection(MetricsRegistryCollection.Name)]
public sealed class ProviderCapabilitiesTests
{
    private const string Thinking =
        """{"type":"thinking","thinking":"","signature":"EqQBCkgIARABGAIiQL1+sig/only=="}""";

    private static UpstreamProvider Provider(string kind, string name)
    {
        var options = new UpstreamOptions
        {
            Providers = [new UpstreamProviderOptions { Name = name, Kind = kind, BaseUrl = "http://127.0.0.1:9", ProjectId = "p-1", Region = "us-east5", Keys = kind == "vertex" ? [] : [new UpstreamKeyOptions { Secret = "sk-x" }] }],
        };
        return new UpstreamDirectory(Options.Create(options)).Providers[0];
    }

    private static double Drops(string provider, string what, string name)
    {
        using var stream = new MemoryStream();
        Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream).GetAwaiter().GetResult();
        var key = $"{FrontMetrics.CapabilityDropsTotal}{{provider=\"{provider}\",what=\"{what}\",name=\"{name}\"}} ";
        var line = Encoding.UTF8.GetString(stream.ToArray()).Split('\n').FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[key.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Filter(string body, ProviderCapabilities capabilities, string provider) =>
        CapabilityBodyFilter.Apply(Encoding.UTF8.GetBytes(body), capabilities, provider) is { } filtered ? Encoding.UTF8.GetString(filtered) : body;

    private static string? Betas(ProviderCapabilities capabilities, string header, string provider, bool countTokens = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://x/");
        request.Headers.TryAddWithoutValidation(ProviderCapabilities.BetaHeader, header);
        capabilities.FilterBetaHeader(request.Headers, provider, countTokens);
        return request.Headers.TryGetValues(ProviderCapabilities.BetaHeader, out var values) ? string.Join(",", values) : null;
    }

    [Fact]
    public void Vertex_keeps_the_betas_it_accepts_in_order_and_drops_and_counts_the_rest()
    {
        var before = Drops("vx-betas", "beta", "files-api-2025-04-14");
        var kept = Betas(ProviderCapabilities.Vertex,
            "claude-code-20250219,files-api-2025-04-14, interleaved-thinking-2025-05-14,mcp-client-2025-04-04,context-management-2025-06-27", "vx-betas");

        Assert.Equal("claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27", kept);
        Assert.Equal(before + 1, Drops("vx-betas", "beta", "files-api-2025-04-14"));
        Assert.Equal(1, Drops("vx-betas", "beta", "mcp-client-2025-04-04"));
    }

    [Fact]
    public void Vertex_keeps_every_beta_Claude_Code_sends_it_in_Vertex_mode()
    {
        // Recorded from Claude Code 2.1.332 with CLAUDE_CODE_USE_VERTEX=1.
        const string sent = "claude-code-20250219,interleaved-thinking-2025-05-14,web-search-2025-03-05,thinking-token-count-2026-05-13,tool-search-tool-2025-10-19,effort-2025-11-24";
        Assert.Equal(sent, Betas(ProviderCapabilities.Vertex, sent, "vx-cc"));
    }

    [Fact]
    public void Vertex_drops_the_web_search_beta_from_count_tokens_only()
    {
        const string header = "claude-code-20250219,web-search-2025-03-05";
        Assert.Equal(header, Betas(ProviderCapabilities.Vertex, header, "vx-ws"));
        Assert.Equal("claude-code-20250219", Betas(ProviderCapabilities.Vertex, header, "vx-ws", countTokens: true));
    }

    [Fact]
    public void Vertex_takes_the_1M_context_beta_in_the_body_not_the_header()
    {
        var vertex = Provider("vertex", "vx-1m");
        var header = new Microsoft.Extensions.Primitives.StringValues("context-1m-2025-08-07,claude-code-20250219");
        using var body = CloudUpstreams.BodyFor(vertex, Encoding.UTF8.GetBytes(Json.SmallRequest), "claude-sonnet-4-5", "claude-sonnet-4-5@20250929",
            countTokens: false, header, out var error);

        Assert.Null(error);
        var sent = Json.Parse(Encoding.UTF8.GetString(body!.Span));
        Assert.Equal(["context-1m-2025-08-07"], sent.GetProperty("anthropic_beta").EnumerateArray().Select(b => b.GetString()!).ToArray());
        Assert.Equal("claude-code-20250219", Betas(ProviderCapabilities.Vertex, header.ToString(), "vx-1m"));
        Assert.Equal(0, Drops("vx-1m", "beta", "context-1m-2025-08-07"));
    }

    [Theory]
    [InlineData("mcp_servers", """[{"type":"url","url":"https://mcp.example.com/sse","name":"x"}]""")]
    [InlineData("container", """{"id":"container_1","skills":[{"type":"anthropic","skill_id":"pptx","version":"latest"}]}""")]
    public void Vertex_drops_a_refused_top_level_field_wherever_it_stands(string field, string value)
    {
        foreach (var body in new[]
        {
            $$"""{"{{field}}":{{value}},"model":"m","max_tokens":5,"messages":[]}""",
            $$"""{"model":"m","{{field}}":{{value}},"max_tokens":5,"messages":[]}""",
            $$"""{"model":"m","max_tokens":5,"messages":[] , "{{field}}" : {{value}} }""",
        })
        {
            var filtered = Filter(body, ProviderCapabilities.Vertex, "vx-fields");
            var parsed = Json.Parse(filtered);
            Assert.False(parsed.TryGetProperty(field, out _), filtered);
            Assert.Equal("m", parsed.GetProperty("model").GetString());
            Assert.Equal(5, parsed.GetProperty("max_tokens").GetInt32());
        }
        Assert.Equal(3, Drops("vx-fields", "field", field));
    }

    [Fact]
    public void Vertex_keeps_cache_control_and_its_ttl_but_drops_its_scope_everywhere()
    {
        const string body = """
            {"model":"m","cache_control":{"type":"ephemeral","scope":"global"},
             "system":[{"type":"text","text":"s","cache_control":{"scope":"global","type":"ephemeral","ttl":"1h"}}],
             "tools":[{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral","ttl":"1h","sc\u006fpe":"global"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"scope","cache_control":{"type":"ephemeral"}}]}]}
            """;
        var filtered = Filter(body, ProviderCapabilities.Vertex, "vx-scope");
        var parsed = Json.Parse(filtered);

        Assert.DoesNotContain("global", filtered);
        Assert.Equal("""{"type":"ephemeral"}""", parsed.GetProperty("cache_control").GetRawText());
        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", parsed.GetProperty("system")[0].GetProperty("cache_control").GetRawText());
        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", parsed.GetProperty("tools")[0].GetProperty("cache_control").GetRawText());
        Assert.Equal("""{"type":"ephemeral"}""", parsed.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("cache_control").GetRawText());
        Assert.Equal(3, Drops("vx-scope", "cache_control", "scope"));
    }

    [Fact]
    public void Vertex_keeps_context_management_thinking_and_signature_only_thinking_blocks_byte_for_byte()
    {
        var body = $$"""{"model":"m","context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},"thinking":{"type":"enabled","budget_tokens":1024},"output_config":{"effort":"high"},"messages":[{"role":"assistant","content":[{{Thinking}},{"type":"redacted_thinking","data":"abc"}]}],"mcp_servers":[]}""";
        var filtered = Filter(body, ProviderCapabilities.Vertex, "vx-keep");

        Assert.Equal(body.Replace(""","mcp_servers":[]""", ""), filtered);
        Assert.Contains(Thinking, filtered);
    }

    [Fact]
    public void A_body_with_nothing_refused_is_not_copied()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"assistant","content":[""" + Thinking + """]}],"cache_control":{"type":"ephemeral"}}""");
        Assert.Null(CapabilityBodyFilter.Apply(body, ProviderCapabilities.Vertex, "vx-none"));
    }

    [Theory]
    [InlineData("anthropic")]
    [InlineData("foundry")]
    public void Anthropic_and_Foundry_take_every_beta_field_and_cache_control_option(string kind)
    {
        var capabilities = ProviderCapabilities.For(Provider(kind, "p-" + kind));
        const string header = "files-api-2025-04-14,context-1m-2025-08-07,mcp-client-2025-04-04,some-future-beta-2027-01-01";
        const string body = """{"model":"m","mcp_servers":[],"container":"c","context_management":{},"cache_control":{"type":"ephemeral","scope":"global","ttl":"1h"},"messages":[]}""";

        Assert.Equal(header, Betas(capabilities, header, "p-" + kind));
        Assert.False(capabilities.FiltersBody);
        Assert.Null(CapabilityBodyFilter.Apply(Encoding.UTF8.GetBytes(body), capabilities, "p-" + kind));
    }

    [Fact]
    public void Each_provider_kind_has_its_table()
    {
        Assert.Same(ProviderCapabilities.Vertex, ProviderCapabilities.For(Provider("vertex", "k-vx")));
        Assert.Same(ProviderCapabilities.Foundry, ProviderCapabilities.For(Provider("foundry", "k-f")));
        Assert.Same(ProviderCapabilities.Bedrock, ProviderCapabilities.For(Provider("bedrock", "k-b")));
        Assert.Same(ProviderCapabilities.Anthropic, ProviderCapabilities.For(Provider("anthropic", "k-a")));
        Assert.Same(ProviderCapabilities.Anthropic, ProviderCapabilities.For(Provider("openai", "k-o")));
    }

    /// <summary>The body as the forwarder sends it to a bedrock provider (the capability filter applied after the rewrite).</summary>
    private static string BedrockBody(string body, string provider, string? betas = null)
    {
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary();
        if (betas is not null)
        {
            headers[ProviderCapabilities.BetaHeader] = betas;
        }
        using var messages = Gateway.Front.Envelope.RequestBody.FromBytes(Encoding.UTF8.GetBytes(body));
        using var sent = Gateway.Front.Forwarding.BedrockUpstream.Body(messages, headers, provider, out var error);
        Assert.Null(error);
        return Encoding.UTF8.GetString(sent!.Span);
    }

    [Fact]
    public void Bedrock_drops_mcp_servers_and_keeps_the_betas_in_the_body()
    {
        const string body = """{"model":"claude-sonnet-4-5","mcp_servers":[{"type":"url","url":"https://mcp.example.com/sse","name":"x"}],"max_tokens":5,"stream":true,"messages":[]}""";
        var sent = Json.Parse(BedrockBody(body, "br-fields", "interleaved-thinking-2025-05-14"));

        Assert.False(sent.TryGetProperty("mcp_servers", out _));
        Assert.False(sent.TryGetProperty("model", out _));
        Assert.Equal("bedrock-2023-05-31", sent.GetProperty("anthropic_version").GetString());
        Assert.Equal(["interleaved-thinking-2025-05-14"], sent.GetProperty("anthropic_beta").EnumerateArray().Select(b => b.GetString()!).ToArray());
        Assert.Equal(5, sent.GetProperty("max_tokens").GetInt32());
        Assert.Equal(1, Drops("br-fields", "field", "mcp_servers"));
    }

    [Fact]
    public void Bedrock_keeps_cache_control_and_its_ttl_but_drops_its_scope_everywhere()
    {
        const string body = """
            {"model":"claude-sonnet-4-5","cache_control":{"type":"ephemeral","scope":"global"},
             "system":[{"type":"text","text":"s","cache_control":{"scope":"global","type":"ephemeral","ttl":"1h"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"scope","cache_control":{"type":"ephemeral"}}]}]}
            """;
        var filtered = BedrockBody(body, "br-scope");
        var parsed = Json.Parse(filtered);

        Assert.DoesNotContain("global", filtered);
        Assert.Equal("""{"type":"ephemeral"}""", parsed.GetProperty("cache_control").GetRawText());
        Assert.Equal("""{"type":"ephemeral","ttl":"1h"}""", parsed.GetProperty("system")[0].GetProperty("cache_control").GetRawText());
        Assert.Equal("""{"type":"ephemeral"}""", parsed.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("cache_control").GetRawText());
        Assert.Equal(2, Drops("br-scope", "cache_control", "scope"));
    }

    [Fact]
    public void Bedrock_keeps_container_context_management_and_signature_only_thinking_blocks()
    {
        const string body = """{"model":"claude-sonnet-4-5","container":"c","context_management":{"edits":[]},"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"assistant","content":[""" + Thinking + """]}]}""";
        var sent = BedrockBody(body, "br-keep");

        Assert.Contains("\"container\":\"c\"", sent);
        Assert.Contains("\"context_management\":{\"edits\":[]}", sent);
        Assert.Contains(Thinking, sent);
        Assert.Equal(0, Drops("br-keep", "field", "container"));
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Gateway.Front.Buffers;
using Gateway.Front.Clouds;
using Microsoft.Extensions.Primitives;

namespace Gateway.Tests.Clouds;

public sealed class CloudRequestBodyTests
{
    private static readonly CloudBodySettings Bedrock = new("bedrock-2023-05-31", MoveBetas: true, DropStream: true);
    private static readonly CloudBodySettings Vertex = new("vertex-2023-10-16", MoveBetas: true, DropStream: false);

    private static string Rewrite(string body, CloudBodySettings settings, StringValues betas = default)
    {
        using var output = new PooledBufferWriter();
        Assert.True(CloudRequestBody.TryWrite(Encoding.UTF8.GetBytes(body), settings, betas, output, out var error), error);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string? Refusal(string body, StringValues betas = default)
    {
        using var output = new PooledBufferWriter();
        Assert.False(CloudRequestBody.TryWrite(Encoding.UTF8.GetBytes(body), Bedrock, betas, output, out var error));
        return error;
    }

    [Fact]
    public void Model_and_stream_go_the_version_is_set_and_everything_else_is_copied_byte_for_byte()
    {
        var body = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"thinking":{"type":"enabled", "budget_tokens":1024},"messages":[{"role":"user","content":"h\u00e9llo \"x\""}],"context_management":{"edits":[]}}""";

        var output = Rewrite(body, Bedrock);

        Assert.Equal("""{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"thinking":{"type":"enabled", "budget_tokens":1024},"messages":[{"role":"user","content":"h\u00e9llo \"x\""}],"context_management":{"edits":[]}}""", output);
    }

    [Fact]
    public void Vertex_keeps_stream()
    {
        var json = JsonNode.Parse(Rewrite("""{"model":"m","stream":true,"max_tokens":1}""", Vertex))!;

        Assert.Equal("vertex-2023-10-16", (string?)json["anthropic_version"]);
        Assert.True((bool)json["stream"]!);
        Assert.Null(json["model"]);
    }

    [Fact]
    public void A_client_version_is_replaced_and_an_escaped_model_name_is_dropped_too()
    {
        var json = JsonNode.Parse(Rewrite("""{"anthropic_version":"2023-06-01","mod\u0065l":"x","max_tokens":1}""", Bedrock))!;

        Assert.Equal("bedrock-2023-05-31", (string?)json["anthropic_version"]);
        Assert.Equal(2, json.AsObject().Count);
    }

    [Fact]
    public void Header_betas_become_the_body_array_split_trimmed_and_deduplicated()
    {
        var output = Rewrite("""{"model":"m","max_tokens":1}""", Bedrock,
            new StringValues(["claude-code-20250219, interleaved-thinking-2025-05-14,,", "claude-code-20250219", " fine-grained-tool-streaming-2025-05-14 "]));

        Assert.Equal("""{"anthropic_version":"bedrock-2023-05-31","max_tokens":1,"anthropic_beta":["claude-code-20250219","interleaved-thinking-2025-05-14","fine-grained-tool-streaming-2025-05-14"]}""", output);
    }

    [Fact]
    public void Body_betas_come_first_and_header_betas_merge_without_duplicates()
    {
        var json = JsonNode.Parse(Rewrite("""{"anthropic_beta":["a","b","a"],"model":"m"}""", Bedrock, "b,c"))!;

        Assert.Equal("""["a","b","c"]""", json["anthropic_beta"]!.ToJsonString());
    }

    [Fact]
    public void An_empty_body_array_stays_and_no_betas_at_all_adds_no_array()
    {
        Assert.Equal("""{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":[]}""", Rewrite("""{"anthropic_beta":[]}""", Bedrock));
        Assert.Equal("""{"anthropic_version":"bedrock-2023-05-31","max_tokens":1}""", Rewrite("""{"max_tokens":1}""", Bedrock, ""));
    }

    [Fact]
    public void Without_moving_betas_the_header_is_ignored_and_a_body_array_is_copied_as_is()
    {
        var settings = Bedrock with { MoveBetas = false };

        Assert.Equal("""{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["x", "x"]}""", Rewrite("""{"anthropic_beta":["x", "x"]}""", settings, "y"));
    }

    [Fact]
    public void Beta_strings_that_need_escaping_are_escaped()
    {
        var json = JsonNode.Parse(Rewrite("{}", Bedrock, "a\"b\\c"))!;

        Assert.Equal("a\"b\\c", (string?)json["anthropic_beta"]![0]);
    }

    [Fact]
    public void Escaped_property_names_are_written_unescaped_and_valid()
    {
        var json = JsonNode.Parse(Rewrite("""{"m\u0061x_tokens":5,"\u00e9t\u00e9":1}""", Bedrock))!;

        Assert.Equal(5, (int)json["max_tokens"]!);
        Assert.Equal(1, (int)json["été"]!);
    }

    [Theory]
    [InlineData("""{"anthropic_beta":"a"}""")]
    [InlineData("""{"anthropic_beta":[1]}""")]
    [InlineData("""{"anthropic_beta":[["a"]]}""")]
    [InlineData("[1]")]
    [InlineData("\"x\"")]
    public void A_body_that_is_not_an_object_or_whose_betas_are_not_strings_is_refused(string body)
    {
        Assert.NotNull(Refusal(body));
    }

    [Fact]
    public void More_than_the_bounded_number_of_betas_is_refused()
    {
        var many = string.Join(',', Enumerable.Range(0, CloudRequestBody.MaxBetas + 1).Select(i => "beta-" + i));

        Assert.Contains("at most", Refusal("{}", many));
        Assert.Contains("at most", Refusal("{\"anthropic_beta\":[" + string.Join(',', Enumerable.Range(0, 40).Select(i => $"\"b{i}\"")) + "]}",
            string.Join(',', Enumerable.Range(0, 40).Select(i => "h" + i))));
        Assert.NotNull(JsonNode.Parse(Rewrite("{}", Bedrock, string.Join(',', Enumerable.Range(0, CloudRequestBody.MaxBetas).Select(i => "beta-" + i)))));
    }

    [Fact]
    public void A_large_body_is_copied_whole()
    {
        var text = new string('x', 200_000);
        var json = JsonNode.Parse(Rewrite("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}", Bedrock))!;

        Assert.Equal(text, (string?)json["messages"]![0]!["content"]);
    }
}

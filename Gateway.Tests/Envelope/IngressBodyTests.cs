using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Front.Envelope;

namespace Gateway.Tests.Envelope;

/// <summary>The one reader both cloud surfaces (Bedrock InvokeModel, Vertex rawPredict) turn their bodies into Messages bodies with.</summary>
public sealed class IngressBodyTests
{
    [Fact]
    public void Bedrock_shape_takes_model_and_stream_from_the_url_and_betas_out_of_the_body()
    {
        var (ok, json, betas, _) = Write("""{"anthropic_version":"bedrock-2023-05-31","stream":false,"anthropic_beta":["b1","b1","b2"],"max_tokens":5,"messages":[]}""",
            "claude-sonnet-4-5", stream: true);

        Assert.True(ok);
        Assert.Equal("claude-sonnet-4-5", (string?)json!["model"]);
        Assert.True((bool)json["stream"]!);
        Assert.Null(json["anthropic_version"]);
        Assert.Null(json["anthropic_beta"]);
        Assert.Equal(["b1", "b2"], betas);
        Assert.Equal(5, (int)json["max_tokens"]!);
    }

    [Fact]
    public void Vertex_shape_keeps_the_bodys_own_stream_and_copies_unknown_members_byte_for_byte()
    {
        var (ok, json, _, text) = Write("""{"model":"x","stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"m\u0061x_tokens":7}""",
            "claude-opus-4-1", stream: null);

        Assert.True(ok);
        Assert.Equal("claude-opus-4-1", (string?)json!["model"]);
        Assert.True((bool)json["stream"]!);
        Assert.Contains("""{"type":"enabled","budget_tokens":1024}""", text, StringComparison.Ordinal);
        Assert.Equal(7, (int)json["max_tokens"]!);
    }

    [Theory]
    [InlineData("[1,2]", "The request body must be a JSON object.")]
    [InlineData("""{"anthropic_beta":"b1"}""", "anthropic_beta: Input should be a valid array of strings")]
    [InlineData("""{"anthropic_beta":[1]}""", "anthropic_beta: Input should be a valid array of strings")]
    [InlineData("""{"max_tokens":""", "The request body is not valid JSON.")]
    public void A_body_it_cannot_read_gets_a_message_not_an_exception(string body, string message)
    {
        var (ok, _, _, error) = Write(body, "claude-sonnet-4-5", stream: true);

        Assert.False(ok);
        Assert.Equal(message, error);
    }

    [Fact]
    public void More_betas_than_a_request_may_name_are_refused()
    {
        var many = string.Join(',', Enumerable.Range(0, IngressBody.MaxBetas + 1).Select(i => $"\"b{i}\""));
        var (ok, _, _, _) = Write($$"""{"anthropic_beta":[{{many}}]}""", "claude-sonnet-4-5", stream: null);

        Assert.False(ok);
    }

    private static (bool Ok, JsonNode? Json, List<string> Betas, string Text) Write(string body, string model, bool? stream)
    {
        var output = new ArrayBufferWriter<byte>();
        var betas = new List<string>();
        var ok = IngressBody.TryWrite(Encoding.UTF8.GetBytes(body), model, stream, output, betas, out var error);
        if (!ok)
        {
            return (false, null, betas, error!);
        }
        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        return (true, JsonNode.Parse(text), betas, text);
    }
}

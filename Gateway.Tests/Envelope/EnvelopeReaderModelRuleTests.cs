using System.Text;
using Gateway.Front.Envelope;
using Gateway.Grains.Text;

namespace Gateway.Tests.Envelope;

/// <summary>The model rule (1..256 printable characters) and the one-occurrence rule for model, stream and max_tokens.</summary>
public class EnvelopeReaderModelRuleTests
{
    private static (bool Ok, RequestEnvelope Envelope, string Error) Read(string json)
    {
        var ok = EnvelopeReader.TryRead(Encoding.UTF8.GetBytes(json), null, out var envelope, out var error);
        return (ok, envelope, error);
    }

    private static string WithModel(string jsonModel) => "{\"model\":\"" + jsonModel + "\",\"max_tokens\":8,\"messages\":[]}";

    [Theory]
    [InlineData("claude-sonnet-4-5\\u0000")]
    [InlineData("\\u0000")]
    [InlineData("claude\\nsonnet")]
    [InlineData("claude\\u007f")]
    [InlineData("claude\\u009b")]
    [InlineData("claude\\ud800")]
    [InlineData("claude\\udfff-x")]
    [InlineData("\\ud83d")]
    public void A_model_with_a_control_character_or_a_lone_surrogate_is_refused_naming_the_rule(string model)
    {
        var (ok, _, error) = Read(WithModel(model));
        Assert.False(ok);
        Assert.Equal(EnvelopeReader.ModelRuleError, error);
    }

    [Fact]
    public void A_model_over_256_characters_is_refused_and_256_pass()
    {
        Assert.True(Read(WithModel(new string('m', BoundedText.MaxModelLength))).Ok);
        Assert.Equal(EnvelopeReader.ModelRuleError, Read(WithModel(new string('m', BoundedText.MaxModelLength + 1))).Error);
        Assert.Equal(EnvelopeReader.ModelRuleError, Read(WithModel(new string('m', 100 * 1024))).Error);
        // Escaped, the JSON is six bytes a character: still judged by its characters.
        Assert.Equal(new string('a', 256), Read(WithModel(string.Concat(Enumerable.Repeat("\\u0061", 256)))).Envelope.Model);
        Assert.False(Read(WithModel(string.Concat(Enumerable.Repeat("\\u0061", 257)))).Ok);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5")]
    [InlineData("claude-3-7-sonnet@20250219")]
    [InlineData("modèle-日本語")]
    [InlineData("emoji-😀")]
    [InlineData("with space")]
    public void Printable_models_pass_as_given(string model)
    {
        var (ok, envelope, error) = Read(WithModel(model));
        Assert.True(ok, error);
        Assert.Equal(model, envelope.Model);
    }

    [Theory]
    [InlineData("""{"model":"a","max_tokens":8,"model":"b"}""", "model")]
    [InlineData("""{"model":"a","mod\u0065l":"b"}""", "model")]
    [InlineData("""{"model":"a","model":"a"}""", "model")]
    [InlineData("""{"stream":true,"model":"a","stream":true}""", "stream")]
    [InlineData("""{"model":"a","max_tokens":8,"max_tokens":99999}""", "max_tokens")]
    public void A_second_top_level_model_stream_or_max_tokens_is_refused(string json, string field)
    {
        var (ok, _, error) = Read(json);
        Assert.False(ok);
        Assert.Equal($"{field}: appears more than once at the top level of the request body", error);
    }

    [Fact]
    public void The_same_names_nested_are_not_duplicates()
    {
        var (ok, envelope, error) = Read("""
            {"model":"a","max_tokens":8,"metadata":{"model":"x","stream":1},"messages":[{"role":"user","content":[{"type":"text","text":"model","model":"y"}]}],"tools":[{"name":"t","input_schema":{"properties":{"model":{"type":"string"},"stream":{},"max_tokens":{}}}}]}
            """);
        Assert.True(ok, error);
        Assert.Equal("a", envelope.Model);
    }
}

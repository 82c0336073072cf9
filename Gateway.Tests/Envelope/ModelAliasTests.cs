using System.Text;
using Gateway.Front.Envelope;

namespace Gateway.Tests.Envelope;

public sealed class ModelAliasTests
{
    [Theory]
    [InlineData("""{"model":"x","max_tokens":1}""", """{"model":"alias-1","max_tokens":1}""")]
    [InlineData("""{"a":{"model":"x"},"model" : "x" }""", """{"a":{"model":"x"},"model" : "alias-1" }""")]
    [InlineData("""{"m\u006fdel":"x\u0041","b":[1,{"model":2}]}""", """{"m\u006fdel":"alias-1","b":[1,{"model":2}]}""")]
    public void Only_the_top_level_model_value_changes(string body, string expected)
    {
        var rewritten = ModelAlias.Rewrite(Encoding.UTF8.GetBytes(body), "alias-1");
        Assert.Equal(expected, Encoding.UTF8.GetString(rewritten!));
    }

    [Fact]
    public void An_alias_needing_escapes_is_written_as_valid_json()
    {
        var rewritten = ModelAlias.Rewrite("""{"model":"x"}"""u8, "a\"b");
        Assert.Equal("a\"b", System.Text.Json.JsonDocument.Parse(rewritten!).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("""{"max_tokens":1}""")]
    [InlineData("""{"model":42}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""not json""")]
    public void No_top_level_model_string_means_no_rewrite(string body) =>
        Assert.Null(ModelAlias.Rewrite(Encoding.UTF8.GetBytes(body), "alias"));
}

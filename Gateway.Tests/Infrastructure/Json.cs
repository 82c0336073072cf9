using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

internal static class Json
{
    public static JsonElement Parse(string text) => JsonDocument.Parse(text).RootElement;

    /// <summary>Asserts Anthropic's error shape and returns the error type.</summary>
    public static string AssertAnthropicError(string body)
    {
        var root = Parse(body);
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error.GetProperty("type").GetString()!;
    }

    public static StringContent Body(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    public const string SmallRequest = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""";

    public const string SmallStreamingRequest = """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}""";
}

using System.Text.Json;
using Gateway.Front.Streaming;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// OpenAI's <c>usage</c> object from Anthropic's counts. Anthropic bills input in three parts (fresh,
/// cache write, cache read); OpenAI's <c>prompt_tokens</c> is all input, with the cached part named in
/// <c>prompt_tokens_details.cached_tokens</c>, so the client sees the same total the key is charged for.
/// </summary>
internal static class ChatUsageJson
{
    public static void Write(Utf8JsonWriter writer, ObservedUsage usage)
    {
        var prompt = usage.TotalInputTokens;
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, prompt);
        writer.WriteNumber("completion_tokens"u8, usage.OutputTokens);
        writer.WriteNumber("total_tokens"u8, prompt + usage.OutputTokens);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, usage.CacheReadInputTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

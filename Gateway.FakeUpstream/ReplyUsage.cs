using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>The usage numbers of one reply, and how they are written in Anthropic's <c>usage</c> object.</summary>
internal readonly record struct ReplyUsage(int InputTokens, CacheUsage Cache, int OutputTokens)
{
    public void Write(Utf8JsonWriter json, int outputTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, Cache.Creation);
        json.WriteNumber("cache_read_input_tokens"u8, Cache.Read);
        json.WriteStartObject("cache_creation"u8);
        json.WriteNumber("ephemeral_5m_input_tokens"u8, Cache.Creation5m);
        json.WriteNumber("ephemeral_1h_input_tokens"u8, Cache.Creation1h);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, outputTokens);
        json.WriteString("service_tier"u8, "standard"u8);
        json.WriteEndObject();
    }
}

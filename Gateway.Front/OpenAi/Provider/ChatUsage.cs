using System.Text.Json;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// A Chat Completions <c>usage</c> object in Anthropic's terms. OpenAI's <c>prompt_tokens</c> include
/// the cached ones (<c>prompt_tokens_details.cached_tokens</c>), Anthropic's <c>input_tokens</c> do not,
/// so input = prompt − cached and cached → <c>cache_read_input_tokens</c>; Chat reports no cache writes.
/// </summary>
internal struct ChatUsage
{
    public long PromptTokens;
    public long CompletionTokens;
    public long CachedTokens;

    public readonly long InputTokens => Math.Max(0, PromptTokens - CachedTokens);

    /// <summary>The counts in Anthropic's parts (Chat reports no cache writes).</summary>
    public readonly TokenUsage Tokens => new(InputTokens, CompletionTokens, CacheCreation: 0, CacheRead: CachedTokens);

    /// <summary>Reads a <c>usage</c> value (null is ignored); values overwrite, as a later usage is the final one.</summary>
    public void Read(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8)) { reader.Read(); PromptTokens = Long(ref reader); }
            else if (reader.ValueTextEquals("completion_tokens"u8)) { reader.Read(); CompletionTokens = Long(ref reader); }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var cached = reader.ValueTextEquals("cached_tokens"u8);
                    reader.Read();
                    if (cached)
                    {
                        CachedTokens = Long(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
    }

    /// <summary>The same, from a parsed <c>usage</c> element (a non-streaming completion).</summary>
    public static ChatUsage From(JsonElement usage)
    {
        var result = new ChatUsage();
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return result;
        }
        result.PromptTokens = Long(usage, "prompt_tokens"u8);
        result.CompletionTokens = Long(usage, "completion_tokens"u8);
        if (usage.TryGetProperty("prompt_tokens_details"u8, out var details) && details.ValueKind == JsonValueKind.Object)
        {
            result.CachedTokens = Long(details, "cached_tokens"u8);
        }
        return result;

        static long Long(JsonElement e, ReadOnlySpan<byte> name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
    }

    /// <summary>Writes Anthropic's <c>usage</c> object (the cumulative totals).</summary>
    public readonly void Write(Utf8JsonWriter w)
    {
        var tokens = Tokens;
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, tokens.Input);
        w.WriteNumber("cache_creation_input_tokens"u8, tokens.CacheCreation);
        w.WriteNumber("cache_read_input_tokens"u8, tokens.CacheRead);
        w.WriteNumber("output_tokens"u8, tokens.Output);
        w.WriteEndObject();
    }

    private static long Long(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : 0;
}

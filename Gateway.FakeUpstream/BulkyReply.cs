using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Extra content blocks for a non-streaming reply that is deep or large (<see cref="FakeUpstreamOptions.ReplyNestingDepth"/>,
/// <see cref="FakeUpstreamOptions.ReplyPaddingBytes"/>), placed before the real content so <c>usage</c>
/// still comes last: what a usage reader that stops at depth 64 or 8 MB failed to charge.
/// </summary>
internal static class BulkyReply
{
    private const int PaddingBlockBytes = 64 * 1024;

    public static void Write(Utf8JsonWriter json, FakeUpstreamOptions options)
    {
        if (options.ReplyNestingDepth > 0)
        {
            // A text block whose citations nest: content[] > block > citations[] > {"nested":{…}}.
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, "deep"u8);
            json.WriteStartArray("citations"u8);
            for (var i = 0; i < options.ReplyNestingDepth; i++)
            {
                json.WriteStartObject();
                json.WritePropertyName("nested"u8);
            }
            json.WriteNumberValue(0);
            for (var i = 0; i < options.ReplyNestingDepth; i++)
            {
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        var chunk = new string('x', PaddingBlockBytes);
        for (var written = 0L; written < options.ReplyPaddingBytes; written += PaddingBlockBytes)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, chunk);
            json.WriteEndObject();
        }
    }
}

using System.Text.Json;
using Gateway.Front.Buffers;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Finds values in a Messages request body by their byte spans (a block's kind, an object's members) without
/// decoding them, so the translation copies strings and schemas as raw bytes.
/// </summary>
internal static class MessagesBodyReader
{
    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    internal readonly record struct Span(int Start, int End)
    {
        public bool Present => End > Start;
        public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> body) => body[Start..End];
    }

    internal enum BlockType { Other, Text, Image, ToolUse, ToolResult }

    /// <summary>The blocks of a content array: each one's byte span and its kind.</summary>
    internal static List<(Span Block, BlockType Type)> Blocks(ReadOnlySpan<byte> blocks)
    {
        var list = new List<(Span, BlockType)>();
        var reader = new Utf8JsonReader(blocks, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            // One pass per block: its type is read on the way to its end.
            var type = BlockType.Other;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.ValueTextEquals("text"u8) ? BlockType.Text
                        : reader.ValueTextEquals("image"u8) ? BlockType.Image
                        : reader.ValueTextEquals("tool_use"u8) ? BlockType.ToolUse
                        : reader.ValueTextEquals("tool_result"u8) ? BlockType.ToolResult
                        : BlockType.Other;
                }
                else
                {
                    reader.Skip();
                }
            }
            list.Add((new Span(start, (int)reader.BytesConsumed), type));
        }
        return list;
    }

    /// <summary>Up to four members of <paramref name="obj"/> found in one pass (an empty name matches nothing); absent ones are empty spans.</summary>
    internal static (Span A, Span B, Span C, Span D) Members(ReadOnlySpan<byte> obj, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b,
        ReadOnlySpan<byte> c, ReadOnlySpan<byte> d)
    {
        Span ra = default, rb = default, rc = default, rd = default;
        if (obj.IsEmpty || obj[0] != (byte)'{')
        {
            return (ra, rb, rc, rd);
        }
        var reader = new Utf8JsonReader(obj, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var which = !a.IsEmpty && reader.ValueTextEquals(a) ? 1
                : !b.IsEmpty && reader.ValueTextEquals(b) ? 2
                : !c.IsEmpty && reader.ValueTextEquals(c) ? 3
                : !d.IsEmpty && reader.ValueTextEquals(d) ? 4
                : 0;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var span = new Span(start, (int)reader.BytesConsumed);
            switch (which)
            {
                case 1: ra = span; break;
                case 2: rb = span; break;
                case 3: rc = span; break;
                case 4: rd = span; break;
            }
        }
        return (ra, rb, rc, rd);
    }

    /// <summary>The raw bytes of a top-level member of <paramref name="obj"/> (strings keep their quotes); empty when absent.</summary>
    internal static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> obj, ReadOnlySpan<byte> name)
    {
        if (obj.IsEmpty || obj[0] != (byte)'{')
        {
            return default;
        }
        var reader = new Utf8JsonReader(obj, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                return obj[start..(int)reader.BytesConsumed];
            }
        }
        return default;
    }

    /// <summary>A raw JSON string token without its quotes (still escaped: only used for base64 and media types).</summary>
    internal static ReadOnlySpan<byte> Unquoted(ReadOnlySpan<byte> token) =>
        token.Length >= 2 && token[0] == (byte)'"' ? token[1..^1] : default;

    /// <summary>
    /// Joins a string token, or the texts of an array's text blocks, into one JSON string token built from
    /// the raw (still escaped) bytes: valid string bodies joined by an escaped separator are still one, so
    /// nothing is decoded or re-encoded. Returns how many texts were joined (empty ones are skipped).
    /// </summary>
    internal static int JoinRaw(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> separator, PooledBufferWriter output)
    {
        Append(output, "\""u8);
        Append(output, prefix);
        var count = 0;
        if (value.Length >= 2 && value[0] == (byte)'"')
        {
            Append(output, value[1..^1]);
            count = 1;
        }
        else if (!value.IsEmpty && value[0] == (byte)'[')
        {
            foreach (var (block, type) in Blocks(value))
            {
                var text = type == BlockType.Text ? Field(block.Of(value), "text"u8) : default;
                if (text.Length <= 2 || text[0] != (byte)'"')
                {
                    continue;
                }
                if (count++ > 0)
                {
                    Append(output, separator);
                }
                Append(output, text[1..^1]);
            }
        }
        Append(output, "\""u8);
        return count;

        static void Append(PooledBufferWriter output, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(output.GetSpan(bytes.Length));
            output.Advance(bytes.Length);
        }
    }
}

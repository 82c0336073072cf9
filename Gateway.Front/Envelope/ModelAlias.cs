using System.Text.Json;

namespace Gateway.Front.Envelope;

/// <summary>
/// Rewrites the top-level <c>model</c> of a Messages body by splicing bytes: the reader finds the
/// string token's exact span (<see cref="Utf8JsonReader.TokenStartIndex"/>, quotes included) and
/// only those bytes change; everything else, unknown fields and whitespace included, stays byte-identical.
/// </summary>
public static class ModelAlias
{
    /// <summary>The rewritten body, or null when there is no top-level string <c>model</c> (or the body is not JSON).</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> body, string alias)
    {
        var replacement = JsonEncodedText.Encode(alias).EncodedUtf8Bytes;
        Span<(int Start, int Length)> spans = stackalloc (int, int)[4];
        var found = 0;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isModel && reader.TokenType == JsonTokenType.String && found < spans.Length)
                {
                    // ValueSpan is the raw (still escaped) text between the quotes.
                    spans[found++] = ((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2);
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return null;
        }
        if (found == 0)
        {
            return null;
        }

        var length = body.Length;
        for (var i = 0; i < found; i++)
        {
            length += replacement.Length + 2 - spans[i].Length;
        }
        var output = new byte[length];
        var from = 0;
        var to = 0;
        for (var i = 0; i < found; i++)
        {
            var (start, spanLength) = spans[i];
            body[from..start].CopyTo(output.AsSpan(to));
            to += start - from;
            output[to++] = (byte)'"';
            replacement.CopyTo(output.AsSpan(to));
            to += replacement.Length;
            output[to++] = (byte)'"';
            from = start + spanLength;
        }
        body[from..].CopyTo(output.AsSpan(to));
        return output;
    }
}

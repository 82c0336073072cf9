using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Front.Rewrite;

/// <summary>
/// The design first proposed for the rewrite, kept to measure against <see cref="MarkerSplicer"/> (see
/// RewriteBench and docs/cache-injection.md): a second <see cref="Utf8JsonReader"/> pass that re-emits
/// every token through a <see cref="Utf8JsonWriter"/> (compact, validation off), strings and numbers as
/// their raw bytes, and writes the planned markers on the way. Same output as the splice for compact
/// input, but it drops insignificant whitespace, may re-escape a property name that was escaped in the
/// input, and costs a full token walk. Not used on the request path.
/// </summary>
internal static class TokenCopyRewriter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        SkipValidation = true,
        // Only property names go through the encoder (values are written raw): the relaxed encoder leaves
        // the ASCII and non-ASCII letters of ordinary names alone.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static void Write(ReadOnlySpan<byte> body, in BreakpointPlan plan, IBufferWriter<byte> output)
    {
        Span<Insertion> insertions = stackalloc Insertion[Insertion.MaxCount];
        var count = plan.Insertions(insertions);
        var next = 0;

        var writer = t_writer;
        if (writer is null)
        {
            writer = t_writer = new Utf8JsonWriter(output, WriterOptions);
        }
        else
        {
            writer.Reset(output);
        }

        var reader = new Utf8JsonReader(body, ReaderOptions);
        while (reader.Read())
        {
            var at = (int)reader.TokenStartIndex;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    if (next < count && insertions[next].Offset == at)
                    {
                        WriteMarker(writer, plan.OneHour);
                        next++;
                    }
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    if (reader.ValueIsEscaped)
                    {
                        Envelope.RawMember.WriteName(writer, ref reader);
                    }
                    else
                    {
                        writer.WritePropertyName(reader.ValueSpan);
                    }
                    break;
                case JsonTokenType.String:
                    var raw = body[at..(int)reader.BytesConsumed];
                    if (next < count && insertions[next].Offset == at)
                    {
                        // A string system or content becomes one text block carrying the marker.
                        writer.WriteStartArray();
                        writer.WriteStartObject();
                        writer.WriteString("type"u8, "text"u8);
                        writer.WritePropertyName("text"u8);
                        writer.WriteRawValue(raw, skipInputValidation: true);
                        WriteMarker(writer, plan.OneHour);
                        writer.WriteEndObject();
                        writer.WriteEndArray();
                        next += 2;
                    }
                    else
                    {
                        writer.WriteRawValue(raw, skipInputValidation: true);
                    }
                    break;
                case JsonTokenType.Number:
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True:
                    writer.WriteBooleanValue(true);
                    break;
                case JsonTokenType.False:
                    writer.WriteBooleanValue(false);
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
            }
        }
        writer.Flush();
    }

    private static void WriteMarker(Utf8JsonWriter writer, bool oneHour)
    {
        writer.WritePropertyName("cache_control"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "ephemeral"u8);
        if (oneHour)
        {
            writer.WriteString("ttl"u8, "1h"u8);
        }
        writer.WriteEndObject();
    }
}

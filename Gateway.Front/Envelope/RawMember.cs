using System.Buffers;
using System.Text.Json;

namespace Gateway.Front.Envelope;

/// <summary>
/// Copies the object member the reader stands on (its name) to a writer, name and value as sent: the value's raw
/// bytes, so fields this gateway does not know reach the other side byte for byte. The body rewriters that pass
/// a request between API shapes (cloud ingress, provider egress) all copy what they do not touch this way.
/// </summary>
public static class RawMember
{
    /// <summary>Writes the member and leaves <paramref name="reader"/> at the end of its value.</summary>
    public static void Copy(Utf8JsonWriter writer, ref Utf8JsonReader reader, ReadOnlySpan<byte> body)
    {
        WriteName(writer, ref reader);
        reader.Read();
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        writer.WriteRawValue(body[start..(int)reader.BytesConsumed], skipInputValidation: true);
    }

    /// <summary>The property name the reader stands on, as sent: its raw bytes, or unescaped into a pooled scratch when it carries escapes.</summary>
    public static void WriteName(Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.ValueSpan);
            return;
        }
        var length = reader.ValueSpan.Length;
        var rented = length > 256 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> scratch = rented ?? stackalloc byte[256];
        var written = reader.CopyString(scratch);
        writer.WritePropertyName(scratch[..written]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

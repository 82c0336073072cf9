using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Gateway.Front.Envelope;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Reads the scalar and raw values of a Chat Completions request for the translation, each checked as it
/// is read and failing with OpenAI's wording and the field's path (<see cref="InvalidChatRequestException"/>).
/// </summary>
internal static class ChatRequestReader
{
    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = EnvelopeReader.MaxDepth };

    /// <summary>Reads a <c>type</c> value that must be <c>function</c>, the one kind of tool both APIs share.</summary>
    internal static void RequireFunctionType(ref Utf8JsonReader reader, FieldPath owner, string what)
    {
        reader.Read();
        if (!reader.ValueTextEquals("function"u8))
        {
            throw new InvalidChatRequestException($"{what} type '{reader.GetString()}' is not supported ('{owner.Field(".type")}'); only 'function'.", owner.Field(".type").ToString());
        }
    }

    /// <summary>Reads the start of a value that must be an object.</summary>
    internal static void RequireObject(ref Utf8JsonReader reader, FieldPath field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidChatRequestException($"Invalid type for '{field}': expected an object.", field.ToString());
        }
    }

    internal static long? PositiveInteger(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected an integer.", name);
        }
        if (value < 1)
        {
            throw new InvalidChatRequestException($"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value} instead.", name);
        }
        return value;
    }

    internal static double? Number(ref Utf8JsonReader reader, string name, double min, double max)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected a number.", name);
        }
        if (value < min || value > max || double.IsNaN(value))
        {
            throw new InvalidChatRequestException(
                $"Invalid '{name}': expected a value between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, but got {value.ToString(CultureInfo.InvariantCulture)} instead.", name);
        }
        return value;
    }

    internal static bool? Boolean(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new InvalidChatRequestException($"Invalid type for '{name}': expected a boolean.", name),
        };
    }

    /// <summary>The raw token range (quotes included) of a string value; null leaves the range empty.</summary>
    internal static Range StringValue(ref Utf8JsonReader reader, FieldPath name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected a string.", name.ToString());
        }
        return (int)reader.TokenStartIndex..(int)reader.BytesConsumed;
    }

    /// <summary>The raw range of any value (checked against <paramref name="expected"/> when given); null leaves it empty.</summary>
    internal static Range Value(ref Utf8JsonReader reader, JsonTokenType? expected, FieldPath name, string? expectedText)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null && expected is not null)
        {
            return default;
        }
        if (expected is { } kind && reader.TokenType != kind)
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected {expectedText}.", name.ToString());
        }
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }

    /// <summary>A string value's bytes with JSON escapes resolved; a pooled copy only when the value has escapes.</summary>
    internal static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader, ref byte[]? rented)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }
        rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        var length = reader.CopyString(rented);
        return rented.AsSpan(0, length);
    }

    internal static string Utf8(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    internal static string Trim(string message) => message.Length > 300 ? message[..300] : message;
}

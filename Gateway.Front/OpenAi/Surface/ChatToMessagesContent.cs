using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>A Chat message's content (a string or text and image parts) → Messages content blocks.</summary>
internal static class ChatToMessagesContent
{
    /// <summary>A message's content (string, array of parts, or null) as blocks of the given turn.</summary>
    internal static void WriteContent(ReadOnlySpan<byte> content, MessagesTurnWriter turns, string role, FieldPath path, bool allowImages) =>
        WriteBlocks(content, role, path, allowImages, turns, null);

    /// <summary>Text (and, for user turns, images) of a content value into an open array of blocks.</summary>
    internal static void WriteTextBlocks(ReadOnlySpan<byte> content, Utf8JsonWriter writer, FieldPath path, bool allowImages) =>
        WriteBlocks(content, null, path, allowImages, null, writer);

    /// <summary>A content value's blocks: to a turn (<paramref name="turns"/>) or to an open block array (<paramref name="target"/>).</summary>
    private static void WriteBlocks(ReadOnlySpan<byte> content, string? role, FieldPath path, bool allowImages, MessagesTurnWriter? turns, Utf8JsonWriter? target)
    {
        if (content.IsEmpty || content[0] == (byte)'n')
        {
            return;
        }
        if (content[0] == (byte)'"')
        {
            if (content.Length > 2)
            {
                WriteTextBlock(target ?? turns!.Block(role!), content);
            }
            return;
        }
        if (content[0] != (byte)'[')
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected a string or an array of content parts.", path.ToString());
        }
        var reader = new Utf8JsonReader(content, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            WritePart(content[start..(int)reader.BytesConsumed], role, path.At(index), allowImages, turns, target);
            index++;
        }
    }

    /// <summary>One content part: to a turn (<paramref name="turns"/>) or to an open block array (<paramref name="target"/>).</summary>
    private static void WritePart(ReadOnlySpan<byte> part, string? role, FieldPath path, bool allowImages, MessagesTurnWriter? turns, Utf8JsonWriter? target)
    {
        if (part.IsEmpty || part[0] != (byte)'{')
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected an object.", path.ToString());
        }
        var reader = new Utf8JsonReader(part, ReaderOptions);
        reader.Read();
        Range type = default, text = default, image = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { type = StringValue(ref reader, path.Field(".type")); }
            else if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("refusal"u8)) { text = StringValue(ref reader, path.Field(".text")); }
            else if (reader.ValueTextEquals("image_url"u8)) { image = Value(ref reader, null, path.Field(".image_url"), null); }
            else { reader.Read(); reader.Skip(); }
        }
        var typeValue = type.Equals(default(Range)) ? default : part[type][1..^1];
        if (typeValue.SequenceEqual("text"u8) || typeValue.SequenceEqual("refusal"u8))
        {
            if (text.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".text")}'.", path.Field(".text").ToString());
            }
            if (part[text].Length > 2)
            {
                WriteTextBlock(target ?? turns!.Block(role!), part[text]);
            }
        }
        else if (typeValue.SequenceEqual("image_url"u8) && allowImages)
        {
            if (image.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".image_url")}'.", path.Field(".image_url").ToString());
            }
            ChatToMessagesImage.Write(target ?? turns!.Block(role!), part[image], path.Field(".image_url"));
        }
        else
        {
            var name = type.Equals(default(Range)) ? "(none)" : Utf8(typeValue);
            throw new InvalidChatRequestException(
                $"Content part type '{name}' is not supported here ('{path.Field(".type")}'); supported: 'text'{(allowImages ? " and 'image_url'" : "")}.", path.Field(".type").ToString());
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> rawString)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(rawString, skipInputValidation: true);
        writer.WriteEndObject();
    }
}

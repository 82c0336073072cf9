using System.Buffers;
using System.Text.Json;
using static Gateway.Front.OpenAi.Provider.MessagesBodyReader;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>A Messages image block → a Chat <c>image_url</c> part.</summary>
internal static class MessagesToChatImage
{
    /// <summary>An image <c>source</c> (base64 or url) as an <c>image_url</c> part; a data URL for base64.</summary>
    internal static void Write(ReadOnlySpan<byte> source, Utf8JsonWriter w)
    {
        var kind = Field(source, "type"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "image_url"u8);
        w.WriteStartObject("image_url"u8);
        if (kind.SequenceEqual("\"url\""u8))
        {
            w.WritePropertyName("url"u8);
            w.WriteRawValue(Field(source, "url"u8), skipInputValidation: true);
        }
        else
        {
            var mediaType = Unquoted(Field(source, "media_type"u8));
            var data = Unquoted(Field(source, "data"u8));
            var length = 5 + mediaType.Length + 8 + data.Length;
            var url = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                "data:"u8.CopyTo(url);
                mediaType.CopyTo(url.AsSpan(5));
                ";base64,"u8.CopyTo(url.AsSpan(5 + mediaType.Length));
                data.CopyTo(url.AsSpan(13 + mediaType.Length));
                w.WriteString("url"u8, url.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(url);
            }
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

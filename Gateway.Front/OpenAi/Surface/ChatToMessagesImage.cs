using System.Buffers;
using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>A Chat <c>image_url</c> part → a Messages image block.</summary>
internal static class ChatToMessagesImage
{
    /// <summary><c>data:</c> URLs become base64 image sources; http(s) URLs become url sources.</summary>
    internal static void Write(Utf8JsonWriter writer, ReadOnlySpan<byte> imageUrl, FieldPath path)
    {
        var reader = new Utf8JsonReader(imageUrl, ReaderOptions);
        reader.Read();
        var nested = false; // {"url": ...} (the spec) rather than a bare string: the url is one level down
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var found = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("url"u8))
                {
                    reader.Read();
                    found = reader.TokenType == JsonTokenType.String;
                    break;
                }
                reader.Read();
                reader.Skip();
            }
            if (!found)
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".url")}'.", path.Field(".url").ToString());
            }
            nested = true;
        }
        else if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected an object with a 'url'.", path.ToString());
        }

        byte[]? rented = null;
        try
        {
            var url = Unescaped(ref reader, ref rented);
            writer.WriteStartObject();
            writer.WriteString("type"u8, "image"u8);
            writer.WriteStartObject("source"u8);
            if (url.StartsWith("data:"u8))
            {
                var comma = url.IndexOf((byte)',');
                var header = comma > 0 ? url[5..comma] : default;
                if (comma < 0 || !header.EndsWith(";base64"u8))
                {
                    throw new InvalidChatRequestException($"'{UrlPath(path, nested)}' must be a base64 data URL (data:<media type>;base64,<data>) or an http(s) URL.", UrlPath(path, nested));
                }
                writer.WriteString("type"u8, "base64"u8);
                writer.WriteString("media_type"u8, header[..^7]);
                writer.WriteString("data"u8, url[(comma + 1)..]);
            }
            else if (url.StartsWith("https://"u8) || url.StartsWith("http://"u8))
            {
                writer.WriteString("type"u8, "url"u8);
                writer.WriteString("url"u8, url);
            }
            else
            {
                throw new InvalidChatRequestException($"'{UrlPath(path, nested)}' must be a base64 data URL or an http(s) URL.", UrlPath(path, nested));
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string UrlPath(FieldPath imageUrl, bool nested) => (nested ? imageUrl.Field(".url") : imageUrl).ToString();
}

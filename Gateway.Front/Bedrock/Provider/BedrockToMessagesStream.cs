using System.Buffers;
using System.Text.Json;
using Gateway.Front.Bedrock.EventStream;
using Gateway.Front.Streaming;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Turns Bedrock's response stream (<c>application/vnd.amazon.eventstream</c>) into Anthropic's SSE as it arrives:
/// each <c>chunk</c> event's base64 payload is one Anthropic event, written as <c>event: {type}\ndata: {json}\n\n</c>
/// the moment its frame is complete; an exception (<c>throttlingException</c>, <c>modelStreamErrorException</c>, …)
/// becomes an Anthropic <c>error</c> event, and so does a broken frame or a stream cut mid-frame. The usage tap reads
/// the SSE this writes, so settlement and audit see a Bedrock stream as they see Anthropic's.
/// </summary>
public sealed class BedrockToMessagesStream : IBodyTranslator
{
    private readonly EventStreamDecoder _decoder = new();
    private bool _ended;

    public void Feed(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        if (_ended)
        {
            return;
        }
        _decoder.Append(chunk);
        while (!_ended && _decoder.TryRead(out var message))
        {
            Translate(message, output);
        }
        if (!_ended && _decoder.Error is { } error)
        {
            WriteError(output, Errors.AnthropicErrorTypes.Api, error);
        }
    }

    public void Finish(IBufferWriter<byte> output)
    {
        if (!_ended && _decoder.Pending > 0)
        {
            WriteError(output, Errors.AnthropicErrorTypes.Api, "The upstream event stream ended in the middle of a message.");
        }
    }

    private void Translate(EventStreamMessage message, IBufferWriter<byte> output)
    {
        var kind = message.MessageType;
        if (kind.SequenceEqual("event"u8) || kind.IsEmpty)
        {
            if (!message.EventType.SequenceEqual("chunk"u8))
            {
                return; // initial-response and other bookkeeping events carry no Anthropic event
            }
            if (!BedrockChunk.TryDecode(message.Payload, out var decoded, out var length))
            {
                WriteError(output, Errors.AnthropicErrorTypes.Api, "The upstream sent a chunk without a readable payload.");
                return;
            }
            try
            {
                WriteEvent(output, decoded.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(decoded);
            }
            return;
        }
        // An exception (":exception-type") or a protocol error (":error-code"): the stream ends with it.
        var name = kind.SequenceEqual("exception"u8) ? message.ExceptionType : message.StringHeader(":error-code"u8);
        var text = ReadMessage(message.Payload) ?? System.Text.Encoding.UTF8.GetString(message.StringHeader(":error-message"u8));
        Span<char> chars = stackalloc char[Math.Min(name.Length, 128)];
        var count = System.Text.Encoding.UTF8.GetChars(name[..chars.Length], chars);
        var (_, type) = BedrockStreamErrors.Map(chars[..count], OriginalStatus(message.Payload) ?? 500);
        if (OriginalStatus(message.Payload) is 429)
        {
            type = Errors.AnthropicErrorTypes.RateLimit;
        }
        else if (OriginalStatus(message.Payload) is 529 or 503)
        {
            type = Errors.AnthropicErrorTypes.Overloaded;
        }
        WriteError(output, type, string.IsNullOrEmpty(text) ? "The upstream stream failed (" + new string(chars[..count]) + ")." : text);
    }

    /// <summary>Writes one SSE event; the name is the JSON's <c>type</c>. Raw line breaks (JSON whitespace) become spaces so the event stays one data line.</summary>
    private static void WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> json)
    {
        var type = EventType(json);
        var span = output.GetSpan(type.Length + json.Length + 16);
        var at = 0;
        if (!type.IsEmpty)
        {
            "event: "u8.CopyTo(span);
            at = 7;
            type.CopyTo(span[at..]);
            at += type.Length;
            span[at++] = (byte)'\n';
        }
        "data: "u8.CopyTo(span[at..]);
        at += 6;
        json.CopyTo(span[at..]);
        var data = span.Slice(at, json.Length);
        data.Replace((byte)'\n', (byte)' ');
        data.Replace((byte)'\r', (byte)' ');
        at += json.Length;
        "\n\n"u8.CopyTo(span[at..]);
        output.Advance(at + 2);
    }

    /// <summary>The event's top-level <c>type</c>, when it is a plain name (letters, digits, '_'), else empty.</summary>
    private static ReadOnlySpan<byte> EventType(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType)
                {
                    var value = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
                    return value.Length is > 0 and <= 64 && !value.ContainsAnyExcept(EventNameBytes) ? value : default;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return default;
    }

    private static readonly SearchValues<byte> EventNameBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"u8);

    private void WriteError(IBufferWriter<byte> output, string type, string message)
    {
        _ended = true;
        var writer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(writer, BedrockErrorBody.Options))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "error"u8);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, type);
            json.WriteString("message"u8, message.Length > 1024 ? message[..1024] : message);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        WriteEvent(output, writer.WrittenSpan);
    }

    private static string? ReadMessage(ReadOnlySpan<byte> payload) => ReadField(payload, "message"u8) is { } m ? m : ReadField(payload, "Message"u8);

    private static int? OriginalStatus(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStatus = reader.ValueTextEquals("originalStatusCode"u8);
                reader.Read();
                if (isStatus && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var status))
                {
                    return status;
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static string? ReadField(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(payload);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match && reader.TokenType == JsonTokenType.String)
                {
                    return reader.GetString();
                }
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
        }
        return null;
    }

    public void Dispose() => _decoder.Dispose();
}

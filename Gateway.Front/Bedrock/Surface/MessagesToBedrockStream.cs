using System.Buffers;
using System.Text.Json;
using Gateway.Front.Bedrock.EventStream;
using Gateway.Front.Streaming;

namespace Gateway.Front.Bedrock.Surface;

/// <summary>
/// Anthropic's SSE (what the pipeline writes, from any kind of upstream) as Bedrock's response stream for a client
/// of the Bedrock format: each event's data becomes one eventstream <c>chunk</c> message (base64 inside), written
/// the moment the event's blank line arrives; an <c>error</c> event becomes an exception message named as Bedrock
/// names it (<c>throttlingException</c> for a rate limit, <c>modelStreamErrorException</c> with the original status
/// for an overload, <c>internalServerException</c> otherwise). Pings are kept as chunks: the client's Anthropic
/// stream reader skips them.
/// </summary>
public sealed class MessagesToBedrockStream : ISseLineSink, IDisposable
{
    private const int MaxEvent = 4 * 1024 * 1024;

    private readonly SseLineSplitter _lines = new(MaxEvent);
    private readonly SseEventData _data = new(MaxEvent);
    private readonly ArrayBufferWriter<byte> _pending = new(4096);
    private bool _isError;

    /// <summary>Frames translated and not yet sent.</summary>
    public ReadOnlyMemory<byte> Pending => _pending.WrittenMemory;

    public void ClearPending() => _pending.ResetWrittenCount();

    public void Feed(ReadOnlySpan<byte> sse) => _lines.Feed(sse, this);

    /// <summary>The SSE ended: an event without its closing blank line still goes out.</summary>
    public void Finish()
    {
        _lines.Flush(this);
        Dispatch();
    }

    void ISseLineSink.OnLine(ReadOnlySpan<byte> line)
    {
        line = SseLine.TrimCarriageReturn(line);
        if (line.IsEmpty)
        {
            Dispatch();
        }
        else if (SseLine.TryEvent(line, out var name))
        {
            _isError = name.SequenceEqual("error"u8);
        }
        else if (SseLine.TryData(line, out var data))
        {
            _data.Append(data);
        }
    }

    private void Dispatch()
    {
        if (_data.HasPayload)
        {
            if (_isError || IsErrorEvent(_data.Payload))
            {
                WriteException(_data.Payload);
            }
            else
            {
                BedrockChunk.Write(_pending, _data.Payload);
            }
        }
        _data.Clear();
        _isError = false;
    }

    private static bool IsErrorEvent(ReadOnlySpan<byte> json) =>
        json.IndexOf("\"type\":\"error\""u8) is >= 0 and < 16;

    private void WriteException(ReadOnlySpan<byte> json)
    {
        string type = Errors.AnthropicErrorTypes.Api, message = "The model stream failed.";
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : type;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : message;
            }
        }
        catch (JsonException)
        {
        }
        var (exception, originalStatus) = type switch
        {
            Errors.AnthropicErrorTypes.RateLimit => ("throttlingException", 0),
            Errors.AnthropicErrorTypes.Overloaded => ("modelStreamErrorException", 529),
            Errors.AnthropicErrorTypes.InvalidRequest => ("validationException", 0),
            _ => ("internalServerException", 0),
        };
        var payload = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(payload, Provider.BedrockErrorBody.Options))
        {
            writer.WriteStartObject();
            writer.WriteString("message"u8, message);
            if (originalStatus != 0)
            {
                writer.WriteNumber("originalStatusCode"u8, originalStatus);
                writer.WriteString("originalMessage"u8, message);
            }
            writer.WriteEndObject();
        }
        EventStreamEncoder.Write(_pending, EventStreamEncoder.ExceptionHeaders(exception), payload.WrittenSpan);
    }

    public void Dispose()
    {
        _lines.Dispose();
        _data.Dispose();
    }
}

using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Errors;
using Gateway.Front.Streaming;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Messages SSE → Chat Completions SSE, event by event, push-style: each chunk of upstream bytes is fed
/// in as it arrives, and every event it completes is translated at once into <see cref="Pending"/>, so
/// nothing waits for the rest of the stream. Written by hand for the same reason as
/// <see cref="SseUsageTap"/> (no SSE library parses push-style without buffering); text and argument
/// deltas are copied as raw JSON string tokens, never decoded.
/// </summary>
/// <remarks>
/// message_start → a first chunk with the role; text deltas → content deltas; a tool_use block start →
/// a tool_calls delta with index, id and name; input_json_delta → arguments deltas; message_delta → the
/// finish_reason chunk; message_stop → the usage chunk (when asked for) and <c>[DONE]</c>; an
/// <c>error</c> event → an OpenAI error data line, and the stream ends. Thinking, signatures, citations
/// and pings have no Chat Completions form and are dropped.
/// </remarks>
public sealed partial class MessagesToChatStream : IDisposable, ISseLineSink
{
    /// <summary>An event larger than this is skipped (real ones are a few KB; text deltas a few bytes).</summary>
    private const int MaxEvent = 4 * 1024 * 1024;

    private readonly PooledBufferWriter _output = new(1024);
    private readonly Utf8JsonWriter _writer;
    private readonly long _created;
    private readonly bool _includeUsage;
    private readonly ObservedUsage _usage = new();
    private JsonEncodedText _id;
    private JsonEncodedText _model;
    private readonly SseLineSplitter _lines = new(MaxEvent);
    private readonly SseEventData _event = new(MaxEvent);
    /// <summary>Content block index → tool call index + 1 (0: the block is not a tool call).</summary>
    private int[] _toolIndex = new int[8];
    private int _tools;

    public MessagesToChatStream(string requestedModel, long created, bool includeUsage)
    {
        _writer = new Utf8JsonWriter(_output, OpenAiJson.SurfaceWriterOptions);
        _created = created;
        _includeUsage = includeUsage;
        _model = JsonEncodedText.Encode(requestedModel, OpenAiJson.SurfaceWriterOptions.Encoder);
        _id = JsonEncodedText.Encode(MessagesToChatResponse.IdPrefix + GatewayError.NewRequestId());
    }

    /// <summary>Translated bytes not yet sent; the caller writes them and calls <see cref="ClearPending"/>.</summary>
    public ReadOnlyMemory<byte> Pending => _output.WrittenMemory;

    public void ClearPending() => _output.Clear();

    /// <summary>True after <c>[DONE]</c> or an error line: whatever follows is not for the client.</summary>
    public bool Finished { get; private set; }

    /// <summary>The usage the stream reported (input parts from message_start, output from message_delta).</summary>
    public ObservedUsage Usage => _usage;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        _lines.Feed(chunk, this);
    }

    /// <summary>The upstream body ended: a last event without its blank line still counts.</summary>
    public void Complete()
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
        else if (SseLine.TryData(line, out var data))
        {
            _event.Append(data);
        }
        // "event:" names repeat the payload's "type"; comments and ids carry nothing to translate.
    }

    private void Dispatch()
    {
        if (_event.HasPayload && !Finished)
        {
            try
            {
                Translate(_event.Payload);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // An event we cannot read is dropped; the next ones still translate.
                _writer.Reset(_output);
            }
        }
        _event.Clear();
    }

    private void Translate(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        Range type = default, message = default, block = default, delta = default, usage = default, error = default;
        var index = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { type = Value(ref reader); }
            else if (reader.ValueTextEquals("index"u8)) { reader.Read(); if (reader.TokenType == JsonTokenType.Number) { reader.TryGetInt32(out index); } }
            else if (reader.ValueTextEquals("message"u8)) { message = Value(ref reader); }
            else if (reader.ValueTextEquals("content_block"u8)) { block = Value(ref reader); }
            else if (reader.ValueTextEquals("delta"u8)) { delta = Value(ref reader); }
            else if (reader.ValueTextEquals("usage"u8)) { usage = Value(ref reader); }
            else if (reader.ValueTextEquals("error"u8)) { error = Value(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        var kind = type.Equals(default(Range)) ? default : payload[type];
        if (kind.SequenceEqual("\"content_block_delta\""u8)) { OnBlockDelta(payload[delta], index); }
        else if (kind.SequenceEqual("\"message_start\""u8)) { OnMessageStart(payload[message]); }
        else if (kind.SequenceEqual("\"content_block_start\""u8)) { OnBlockStart(payload[block], index); }
        else if (kind.SequenceEqual("\"message_delta\""u8)) { OnMessageDelta(payload[delta], usage.Equals(default(Range)) ? default : payload[usage]); }
        else if (kind.SequenceEqual("\"message_stop\""u8)) { OnMessageStop(); }
        else if (kind.SequenceEqual("\"error\""u8)) { OnError(error.Equals(default(Range)) ? default : payload[error]); }
        // ping, content_block_stop and event types added later: nothing to say to an OpenAI client.
    }

    private void OnMessageStart(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        _id = JsonEncodedText.Encode(MessagesToChatResponse.IdPrefix + reader.GetString());
                    }
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        _model = JsonEncodedText.Encode(reader.GetString()!, OpenAiJson.SurfaceWriterOptions.Encoder);
                    }
                }
                else if (reader.ValueTextEquals("usage"u8)) { reader.Read(); UsageJson.ReadUsage(ref reader, _usage); }
                else { reader.Read(); reader.Skip(); }
            }
        }
        BeginChoice();
        _writer.WriteString("role"u8, "assistant"u8);
        _writer.WriteString("content"u8, ""u8);
        EndChoice(null);
    }

    private void OnBlockStart(ReadOnlySpan<byte> block, int index)
    {
        var reader = new Utf8JsonReader(block);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        Range type = default, id = default, name = default, text = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { type = Value(ref reader); }
            else if (reader.ValueTextEquals("id"u8)) { id = Value(ref reader); }
            else if (reader.ValueTextEquals("name"u8)) { name = Value(ref reader); }
            else if (reader.ValueTextEquals("text"u8)) { text = Value(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        var kind = type.Equals(default(Range)) ? default : block[type];
        if (kind.SequenceEqual("\"tool_use\""u8) && index >= 0 && !id.Equals(default(Range)) && !name.Equals(default(Range)))
        {
            var tool = _tools++;
            if (index >= _toolIndex.Length)
            {
                Array.Resize(ref _toolIndex, Math.Max(index + 1, _toolIndex.Length * 2));
            }
            _toolIndex[index] = tool + 1;
            BeginChoice();
            _writer.WriteStartArray("tool_calls"u8);
            _writer.WriteStartObject();
            _writer.WriteNumber("index"u8, tool);
            _writer.WritePropertyName("id"u8);
            _writer.WriteRawValue(block[id], skipInputValidation: true);
            _writer.WriteString("type"u8, "function"u8);
            _writer.WriteStartObject("function"u8);
            _writer.WritePropertyName("name"u8);
            _writer.WriteRawValue(block[name], skipInputValidation: true);
            _writer.WriteString("arguments"u8, ""u8);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.WriteEndArray();
            EndChoice(null);
        }
        else if (kind.SequenceEqual("\"text\""u8) && !text.Equals(default(Range)) && block[text].Length > 2 && block[text][0] == (byte)'"')
        {
            BeginChoice();
            _writer.WritePropertyName("content"u8);
            _writer.WriteRawValue(block[text], skipInputValidation: true);
            EndChoice(null);
        }
    }

    private void OnBlockDelta(ReadOnlySpan<byte> delta, int index)
    {
        var reader = new Utf8JsonReader(delta);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        Range type = default, text = default, partial = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { type = Value(ref reader); }
            else if (reader.ValueTextEquals("text"u8)) { text = Value(ref reader); }
            else if (reader.ValueTextEquals("partial_json"u8)) { partial = Value(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
        var kind = type.Equals(default(Range)) ? default : delta[type];
        if (kind.SequenceEqual("\"text_delta\""u8) && IsString(delta, text))
        {
            BeginChoice();
            _writer.WritePropertyName("content"u8);
            _writer.WriteRawValue(delta[text], skipInputValidation: true);
            EndChoice(null);
        }
        else if (kind.SequenceEqual("\"input_json_delta\""u8) && IsString(delta, partial) && delta[partial].Length > 2
                 && index >= 0 && index < _toolIndex.Length && _toolIndex[index] > 0)
        {
            BeginChoice();
            _writer.WriteStartArray("tool_calls"u8);
            _writer.WriteStartObject();
            _writer.WriteNumber("index"u8, _toolIndex[index] - 1);
            _writer.WriteStartObject("function"u8);
            _writer.WritePropertyName("arguments"u8);
            _writer.WriteRawValue(delta[partial], skipInputValidation: true);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.WriteEndArray();
            EndChoice(null);
        }
        // thinking_delta, signature_delta, citations_delta: dropped.
    }

    private void OnMessageDelta(ReadOnlySpan<byte> delta, ReadOnlySpan<byte> usage)
    {
        string? stopReason = null;
        var reader = new Utf8JsonReader(delta);
        if (!delta.IsEmpty && reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isStop = reader.ValueTextEquals("stop_reason"u8);
                reader.Read();
                if (isStop && reader.TokenType == JsonTokenType.String)
                {
                    stopReason = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        if (!usage.IsEmpty)
        {
            // Cumulative: overwrites what message_start said for every count it carries.
            var usageReader = new Utf8JsonReader(usage);
            usageReader.Read();
            UsageJson.ReadUsage(ref usageReader, _usage);
        }
        _usage.StopReason = stopReason ?? _usage.StopReason;
        BeginChoice();
        EndChoice(FinishReasons.ToOpenAi(stopReason) ?? "stop");
    }

    private static Range Value(ref Utf8JsonReader reader)
    {
        reader.Read();
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }

    private static bool IsString(ReadOnlySpan<byte> json, Range range) =>
        !range.Equals(default(Range)) && json[range] is [(byte)'"', .., (byte)'"'];

    public void Dispose()
    {
        _writer.Dispose();
        _output.Dispose();
        _lines.Dispose();
        _event.Dispose();
    }
}

using System.Text.Json;

namespace Gateway.Front.Streaming;

/// <summary>
/// An incremental Server-Sent Events parser that reads usage out of a Messages stream while the bytes
/// go by. Written by hand (no SSE library parses push-style, chunk by chunk, without buffering the
/// response): it splits lines, keeps only the data of the few events that carry usage, tool names or
/// errors, and parses each such payload once with <see cref="Utf8JsonReader"/>. Text deltas, the bulk
/// of a stream, are never copied.
/// </summary>
public sealed class SseUsageTap : IResponseTap, ISseLineSink
{
    /// <summary>
    /// A line, or an event's data, larger than this is not parsed (real usage-bearing ones are well under
    /// 4 KB). Applied to every line whether it arrived whole or in pieces: applied only to carried lines,
    /// an oversized event was read or skipped depending on where the chunks happened to be cut (found by
    /// the tap's fuzz), and an event of many data lines could grow the buffer without bound.
    /// </summary>
    private const int MaxCarriedLine = 256 * 1024;

    private readonly SseLineSplitter _lines = new(MaxCarriedLine);
    private readonly SseEventData _event = new(MaxCarriedLine);
    private bool _eventRelevant = true;

    public ObservedUsage Usage { get; } = new();

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        _lines.Feed(chunk, this);
    }

    public void Complete()
    {
        // A stream cut without a trailing blank line still delivered its last complete event.
        if (_event.HasPayload)
        {
            Dispatch();
        }
    }

    void ISseLineSink.OnLine(ReadOnlySpan<byte> line)
    {
        line = SseLine.TrimCarriageReturn(line);
        if (line.IsEmpty)
        {
            Dispatch();
            return;
        }
        if (SseLine.TryEvent(line, out var name))
        {
            _eventRelevant = name.SequenceEqual("message_start"u8)
                || name.SequenceEqual("message_delta"u8)
                || name.SequenceEqual("message_stop"u8)
                || name.SequenceEqual("content_block_start"u8)
                || name.SequenceEqual("error"u8);
        }
        else if (_eventRelevant && SseLine.TryData(line, out var data))
        {
            _event.Append(data);
        }
    }

    private void Dispatch()
    {
        if (_event.HasPayload)
        {
            try
            {
                ParsePayload(_event.Payload);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Observing only: a payload we cannot read is the client's to judge, not ours.
            }
        }
        _event.Clear();
        _eventRelevant = true;
    }

    private void ParsePayload(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.ValueTextEquals("message_stop"u8))
                {
                    Usage.Completed = true;
                }
            }
            else if (reader.ValueTextEquals("message"u8)) { reader.Read(); UsageJson.ReadMessage(ref reader, Usage); }
            else if (reader.ValueTextEquals("usage"u8)) { reader.Read(); UsageJson.ReadUsage(ref reader, Usage); }
            else if (reader.ValueTextEquals("delta"u8)) { reader.Read(); ReadDelta(ref reader); }
            else if (reader.ValueTextEquals("content_block"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    UsageJson.ReadContentBlock(ref reader, Usage);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("error"u8)) { reader.Read(); Usage.ErrorType = UsageJson.ReadErrorType(ref reader); }
            else { reader.Read(); reader.Skip(); }
        }
    }

    private void ReadDelta(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isStop = reader.ValueTextEquals("stop_reason"u8);
            reader.Read();
            if (isStop && reader.TokenType == JsonTokenType.String)
            {
                Usage.StopReason = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }
    }

    public void Dispose()
    {
        _lines.Dispose();
        _event.Dispose();
    }
}

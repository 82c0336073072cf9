using System.Buffers;
using System.Text.Json;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// The Messages side of <see cref="ChatToMessagesStream"/>: the events it writes (message_start, block
/// start, delta and stop, message_delta and message_stop, error), each as an SSE <c>event:</c>/<c>data:</c> pair.
/// </summary>
internal sealed partial class ChatToMessagesStream
{
    private void TextDelta(ReadOnlySpan<byte> rawString, IBufferWriter<byte> output)
    {
        if (_open != Block.Text)
        {
            CloseBlock(output);
            _open = Block.Text;
            var start = BeginEvent(output, "content_block_start"u8);
            start.WriteStartObject();
            start.WriteString("type"u8, "content_block_start"u8);
            start.WriteNumber("index"u8, _nextBlock);
            start.WriteStartObject("content_block"u8);
            start.WriteString("type"u8, "text"u8);
            start.WriteString("text"u8, ""u8);
            start.WriteEndObject();
            start.WriteEndObject();
            EndEvent(output);
            _nextBlock++;
        }
        var w = BeginEvent(output, "content_block_delta"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "content_block_delta"u8);
        w.WriteNumber("index"u8, _nextBlock - 1);
        w.WriteStartObject("delta"u8);
        w.WriteString("type"u8, "text_delta"u8);
        w.WritePropertyName("text"u8);
        // The string token is copied as it came (escapes and all): no decode, no re-encode.
        w.WriteRawValue(rawString, skipInputValidation: true);
        w.WriteEndObject();
        w.WriteEndObject();
        EndEvent(output);
    }

    private void CloseBlock(IBufferWriter<byte> output)
    {
        if (_open == Block.None)
        {
            return;
        }
        var index = _open == Block.Tool ? _toolBlocks[_openTool].Block : _nextBlock - 1;
        _open = Block.None;
        _openTool = -1;
        var w = BeginEvent(output, "content_block_stop"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "content_block_stop"u8);
        w.WriteNumber("index"u8, index);
        w.WriteEndObject();
        EndEvent(output);
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (_started)
        {
            return;
        }
        _started = true;
        var w = BeginEvent(output, "message_start"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_start"u8);
        w.WriteStartObject("message"u8);
        w.WriteString("id"u8, _id ?? (_id = ChatIds.Message()));
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, _model ?? "");
        w.WriteStartArray("content"u8);
        w.WriteEndArray();
        w.WriteNull("stop_reason"u8);
        w.WriteNull("stop_sequence"u8);
        // Chat streams report usage only at the end; message_delta carries the real input count.
        _usage.Write(w);
        w.WriteEndObject();
        w.WriteEndObject();
        EndEvent(output);
    }

    private void End(IBufferWriter<byte> output)
    {
        EnsureStarted(output);
        CloseBlock(output);
        _ended = true;
        var w = BeginEvent(output, "message_delta"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_delta"u8);
        w.WriteStartObject("delta"u8);
        w.WriteString("stop_reason"u8, FinishReasons.ToAnthropic(_finishReason) ?? "end_turn");
        w.WriteNull("stop_sequence"u8);
        w.WriteEndObject();
        _usage.Write(w);
        w.WriteEndObject();
        EndEvent(output);
        w = BeginEvent(output, "message_stop"u8);
        w.WriteStartObject();
        w.WriteString("type"u8, "message_stop"u8);
        w.WriteEndObject();
        EndEvent(output);
    }

    private void Error(IBufferWriter<byte> output, string type, string message)
    {
        _ended = true;
        var body = new ArrayBufferWriter<byte>(256);
        ChatToMessagesError.WriteError(body, type, message);
        WriteEvent(output, "error"u8, body.WrittenSpan);
    }

    private static void WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        Write(output, "event: "u8);
        Write(output, name);
        Write(output, "\ndata: "u8);
        Write(output, data);
        Write(output, "\n\n"u8);
    }

    private Utf8JsonWriter BeginEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> name)
    {
        Write(output, "event: "u8);
        Write(output, name);
        Write(output, "\ndata: "u8);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output, OpenAiJson.WriterOptions);
        }
        else
        {
            _json.Reset(output);
        }
        return _json;
    }

    private void EndEvent(IBufferWriter<byte> output)
    {
        _json!.Flush();
        Write(output, "\n\n"u8);
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}

using System.Buffers;
using System.Text.Json;
using Gateway.Front.Errors;
using Gateway.Front.Streaming;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Chat Completions SSE (<c>data: {chunk}</c> lines, then <c>data: [DONE]</c>) → Anthropic's Messages
/// events, incrementally: each complete <c>data:</c> line is translated as soon as it arrives, and
/// only an unfinished line is carried to the next chunk. Text deltas become <c>text_delta</c>s of a
/// text block; each tool call index becomes a <c>tool_use</c> block whose argument fragments are
/// <c>input_json_delta</c>s; blocks are closed in order as the next one starts. <c>message_delta</c>
/// (stop reason and the cumulative usage, input tokens included) waits for the end of the stream,
/// because with <c>stream_options.include_usage</c> the usage comes in a last chunk after the
/// <c>finish_reason</c>. Written by hand: it is push-style over partial chunks, which no SSE library offers.
/// </summary>
internal sealed partial class ChatToMessagesStream : IBodyTranslator
{
    /// <summary>A single data line past this is dropped (real chunks are well under 64 KB).</summary>
    private const int MaxLine = 4 * 1024 * 1024;

    private readonly SseLineSplitter _lines = new(MaxLine);
    private Utf8JsonWriter? _json;

    private bool _started;
    private bool _ended;
    private string? _id;
    private string? _model;
    private string? _finishReason;
    private ChatUsage _usage;

    /// <summary>The next Anthropic content block index.</summary>
    private int _nextBlock;
    private Block _open = Block.None;
    /// <summary>The OpenAI tool call index of the open tool_use block.</summary>
    private int _openTool = -1;
    /// <summary>OpenAI tool call index → Anthropic block index and the call's id, for every tool block started.</summary>
    private readonly Dictionary<int, (int Block, string? Id)> _toolBlocks = [];

    private enum Block { None, Text, Tool }

    public void Feed(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output)
    {
        _lines.Feed(chunk, new LineSink(this, output));
    }

    public void Finish(IBufferWriter<byte> output)
    {
        _lines.Flush(new LineSink(this, output));
        if (_ended)
        {
            return;
        }
        if (_finishReason is not null)
        {
            // Some servers end without [DONE]: a finish_reason is enough to end the message properly.
            End(output);
            return;
        }
        // A clean end with no finish_reason: the answer is incomplete, and the client must not take it as whole.
        Error(output, AnthropicErrorTypes.Api, "The OpenAI-compatible upstream ended the stream before the message was complete.");
    }

    private void OnLine(ReadOnlySpan<byte> line, IBufferWriter<byte> output)
    {
        if (_ended || !SseLine.TryData(SseLine.TrimCarriageReturn(line), out var data))
        {
            // Blank separators, comments (": keep-alive") and event names carry nothing to translate.
            return;
        }
        if (data.SequenceEqual("[DONE]"u8))
        {
            End(output);
            return;
        }
        try
        {
            OnChunk(data, output);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            Error(output, AnthropicErrorTypes.Api, "The OpenAI-compatible upstream sent a stream chunk that is not valid JSON.");
        }
    }

    private void OnChunk(ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8)) { reader.Read(); _id ??= reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else if (reader.ValueTextEquals("model"u8)) { reader.Read(); _model ??= reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else if (reader.ValueTextEquals("usage"u8)) { reader.Read(); _usage.Read(ref reader); }
            else if (reader.ValueTextEquals("choices"u8)) { reader.Read(); OnChoices(ref reader, json, output); }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                // A mid-stream error: translated as an error body would be, then nothing more is sent.
                var body = new ArrayBufferWriter<byte>(256);
                var wrapped = new byte[json[start..(int)reader.BytesConsumed].Length + 10];
                "{\"error\":"u8.CopyTo(wrapped);
                json[start..(int)reader.BytesConsumed].CopyTo(wrapped.AsSpan(9));
                wrapped[^1] = (byte)'}';
                ChatToMessagesError.Translate(500, wrapped, body);
                EnsureStarted(output);
                CloseBlock(output);
                WriteEvent(output, "error"u8, body.WrittenSpan);
                _ended = true;
                return;
            }
            else { reader.Read(); reader.Skip(); }
        }
    }

    private void OnChoices(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var first = true;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    // Only choice 0 is translated: the request never asks for n > 1.
                    first = reader.TokenType != JsonTokenType.Number || reader.GetInt32() == 0;
                }
                else if (reader.ValueTextEquals("delta"u8) && first) { reader.Read(); OnDelta(ref reader, json, output); }
                else if (reader.ValueTextEquals("finish_reason"u8) && first)
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        _finishReason = reader.GetString();
                        EnsureStarted(output);
                        CloseBlock(output);
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
        }
    }

    private void OnDelta(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }
        EnsureStarted(output);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("refusal"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    TextDelta(RawToken(ref reader, json), output);
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    OnToolCall(ref reader, json, output);
                }
            }
            else { reader.Read(); reader.Skip(); }
        }
    }

    private void OnToolCall(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, IBufferWriter<byte> output)
    {
        var index = _openTool >= 0 ? _openTool : 0;
        string? id = null, name = null;
        int argumentsStart = -1, argumentsEnd = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("index"u8)) { reader.Read(); if (reader.TokenType == JsonTokenType.Number) { index = reader.GetInt32(); } }
            else if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("name"u8)) { reader.Read(); name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                    else if (reader.ValueTextEquals("arguments"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                        {
                            argumentsStart = (int)reader.TokenStartIndex;
                            argumentsEnd = argumentsStart + reader.ValueSpan.Length + 2;
                        }
                    }
                    else { reader.Read(); reader.Skip(); }
                }
            }
            else { reader.Read(); reader.Skip(); }
        }

        // A new index starts a call; so does a new id at a known index (some servers send every call as index 0).
        var known = _toolBlocks.TryGetValue(index, out var seen);
        var block = seen.Block;
        if (!known || (id is { Length: > 0 } && seen.Id is not null && id != seen.Id))
        {
            CloseBlock(output);
            block = _nextBlock++;
            if (string.IsNullOrEmpty(id))
            {
                id = ChatIds.ToolUse();
            }
            _toolBlocks[index] = (block, id);
            _open = Block.Tool;
            _openTool = index;
            var w = BeginEvent(output, "content_block_start"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_start"u8);
            w.WriteNumber("index"u8, block);
            w.WriteStartObject("content_block"u8);
            w.WriteString("type"u8, "tool_use"u8);
            w.WriteString("id"u8, id);
            w.WriteString("name"u8, name ?? "");
            w.WriteStartObject("input"u8);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            EndEvent(output);
        }
        if (argumentsStart >= 0)
        {
            // Fragments go out as they come; a late fragment of an earlier call still names its own block.
            var w = BeginEvent(output, "content_block_delta"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "content_block_delta"u8);
            w.WriteNumber("index"u8, block);
            w.WriteStartObject("delta"u8);
            w.WriteString("type"u8, "input_json_delta"u8);
            w.WritePropertyName("partial_json"u8);
            w.WriteRawValue(json[argumentsStart..argumentsEnd], skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
            EndEvent(output);
        }
    }

    private static ReadOnlySpan<byte> RawToken(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var start = (int)reader.TokenStartIndex;
        return json[start..(start + reader.ValueSpan.Length + 2)];
    }

    /// <summary>Carries the output along to the line handler without a closure.</summary>
    private readonly struct LineSink(ChatToMessagesStream translator, IBufferWriter<byte> output) : ISseLineSink
    {
        public void OnLine(ReadOnlySpan<byte> line) => translator.OnLine(line, output);
    }

    public void Dispose()
    {
        _json?.Dispose();
        _lines.Dispose();
    }
}

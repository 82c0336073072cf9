using System.Buffers;
using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Turns a Messages request body into a Chat Completions request body in one pass over the bytes:
/// a <see cref="Utf8JsonReader"/> finds each top-level value's byte span, and a
/// <see cref="Utf8JsonWriter"/> writes the Chat shape, copying strings and schemas as raw bytes
/// (no DTO round trip, no re-escaping). What has no Chat equivalent is dropped: <c>cache_control</c>,
/// <c>thinking</c> and thinking blocks, <c>top_k</c>, documents, server tools, images inside tool
/// results (docs/routing.md lists them).
/// </summary>
public static class ChatRequestTranslator
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    /// <summary>
    /// The Chat Completions body for <paramref name="body"/>, sent as <paramref name="model"/>; null with
    /// an <c>invalid_request_error</c> message when the body's shape cannot be translated.
    /// </summary>
    public static RequestBody? Translate(ReadOnlySpan<byte> body, string model, out string error)
    {
        var top = new TopLevel();
        try
        {
            if (!Scan(body, ref top, out error))
            {
                return null;
            }
            using var buffer = new PooledBufferWriter(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, OpenAiJson.WriterOptions))
            {
                Write(body, top, model, writer);
            }
            return RequestBody.FromBytes(buffer.WrittenSpan);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            error = $"The request could not be translated for an OpenAI-compatible provider: {e.Message}";
            return null;
        }
    }

    /// <summary>Byte spans (start, end) of the top-level values the translation reads; (0, 0) when absent.</summary>
    private struct TopLevel
    {
        public Span System, Messages, Tools, ToolChoice, MaxTokens, Temperature, TopP, StopSequences, Metadata;
        public bool Stream;
    }

    private readonly record struct Span(int Start, int End)
    {
        public bool Present => End > Start;
        public ReadOnlySpan<byte> Of(ReadOnlySpan<byte> body) => body[Start..End];
    }

    private static bool Scan(ReadOnlySpan<byte> body, ref TopLevel top, out string error)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The request body must be a JSON object.";
            return false;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                top.Stream = reader.TokenType == JsonTokenType.True;
                continue;
            }
            var name = reader.ValueTextEquals("system"u8) ? 1
                : reader.ValueTextEquals("messages"u8) ? 2
                : reader.ValueTextEquals("tools"u8) ? 3
                : reader.ValueTextEquals("tool_choice"u8) ? 4
                : reader.ValueTextEquals("max_tokens"u8) ? 5
                : reader.ValueTextEquals("temperature"u8) ? 6
                : reader.ValueTextEquals("top_p"u8) ? 7
                : reader.ValueTextEquals("stop_sequences"u8) ? 8
                : reader.ValueTextEquals("metadata"u8) ? 9
                : 0;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var span = new Span(start, (int)reader.BytesConsumed);
            switch (name)
            {
                case 1: top.System = span; break;
                case 2: top.Messages = span; break;
                case 3: top.Tools = span; break;
                case 4: top.ToolChoice = span; break;
                case 5: top.MaxTokens = span; break;
                case 6: top.Temperature = span; break;
                case 7: top.TopP = span; break;
                case 8: top.StopSequences = span; break;
                case 9: top.Metadata = span; break;
            }
        }
        if (!top.Messages.Present || top.Messages.Of(body)[0] != (byte)'[')
        {
            error = "messages: Input should be a valid list";
            return false;
        }
        error = "";
        return true;
    }

    private static void Write(ReadOnlySpan<byte> body, in TopLevel top, string model, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("model"u8, model);
        w.WriteStartArray("messages"u8);
        if (top.System.Present)
        {
            WriteSystem(top.System.Of(body), w);
        }
        WriteMessages(top.Messages.Of(body), w);
        w.WriteEndArray();

        // max_completion_tokens, not max_tokens: OpenAI deprecated max_tokens and its reasoning models
        // (o-series, gpt-5) reject it; current vLLM, llama.cpp, Ollama and LiteLLM accept the new name.
        CopyNumber(body, top.MaxTokens, "max_completion_tokens"u8, w);
        CopyNumber(body, top.Temperature, "temperature"u8, w);
        CopyNumber(body, top.TopP, "top_p"u8, w);
        if (top.StopSequences.Present && top.StopSequences.Of(body)[0] == (byte)'[')
        {
            w.WritePropertyName("stop"u8);
            w.WriteRawValue(top.StopSequences.Of(body), skipInputValidation: true);
        }
        if (top.Stream)
        {
            w.WriteBoolean("stream"u8, true);
            // Without it an OpenAI stream carries no usage at all, and nothing could be billed.
            w.WriteStartObject("stream_options"u8);
            w.WriteBoolean("include_usage"u8, true);
            w.WriteEndObject();
        }
        if (top.Tools.Present && WriteTools(top.Tools.Of(body), w) && top.ToolChoice.Present)
        {
            WriteToolChoice(top.ToolChoice.Of(body), w);
        }
        if (top.Metadata.Present)
        {
            WriteUser(top.Metadata.Of(body), w);
        }
        w.WriteEndObject();
    }

    private static void CopyNumber(ReadOnlySpan<byte> body, Span span, ReadOnlySpan<byte> name, Utf8JsonWriter w)
    {
        if (span.Present && span.Of(body)[0] is (byte)'-' or >= (byte)'0' and <= (byte)'9')
        {
            w.WritePropertyName(name);
            w.WriteRawValue(span.Of(body), skipInputValidation: true);
        }
    }

    /// <summary><c>system</c>, a string or text blocks, becomes one leading system message (blocks joined by a blank line).</summary>
    private static void WriteSystem(ReadOnlySpan<byte> value, Utf8JsonWriter w)
    {
        var reader = new Utf8JsonReader(value, ReaderOptions);
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(value, skipInputValidation: true);
            w.WriteEndObject();
            return;
        }
        using var joined = new PooledBufferWriter(value.Length);
        if (JoinRaw(value, default, "\\n\\n"u8, joined) > 0)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
            w.WriteEndObject();
        }
    }

    /// <summary>
    /// Joins a string token, or the texts of an array's text blocks, into one JSON string token built from
    /// the raw (still escaped) bytes: valid string bodies joined by an escaped separator are still one, so
    /// nothing is decoded or re-encoded. Returns how many texts were joined (empty ones are skipped).
    /// </summary>
    private static int JoinRaw(ReadOnlySpan<byte> value, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> separator, PooledBufferWriter output)
    {
        Append(output, "\""u8);
        Append(output, prefix);
        var count = 0;
        if (value.Length >= 2 && value[0] == (byte)'"')
        {
            Append(output, value[1..^1]);
            count = 1;
        }
        else if (!value.IsEmpty && value[0] == (byte)'[')
        {
            foreach (var (block, type) in Blocks(value))
            {
                var text = type == BlockType.Text ? Field(block.Of(value), "text"u8) : default;
                if (text.Length <= 2 || text[0] != (byte)'"')
                {
                    continue;
                }
                if (count++ > 0)
                {
                    Append(output, separator);
                }
                Append(output, text[1..^1]);
            }
        }
        Append(output, "\""u8);
        return count;

        static void Append(PooledBufferWriter output, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(output.GetSpan(bytes.Length));
            output.Advance(bytes.Length);
        }
    }

    private static void WriteMessages(ReadOnlySpan<byte> messages, Utf8JsonWriter w)
    {
        var reader = new Utf8JsonReader(messages, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("each message must be an object");
            }
            reader.Skip();
            WriteMessage(messages[start..(int)reader.BytesConsumed], w);
        }
    }

    /// <summary>
    /// One Anthropic message. A user message's <c>tool_result</c> blocks become <c>tool</c> messages
    /// first (OpenAI wants them right after the assistant's <c>tool_calls</c>), then its text and images
    /// one user message; an assistant message's text becomes <c>content</c> and its <c>tool_use</c>
    /// blocks <c>tool_calls</c>.
    /// </summary>
    private static void WriteMessage(ReadOnlySpan<byte> message, Utf8JsonWriter w)
    {
        string? role = null;
        var content = default(Span);
        var reader = new Utf8JsonReader(message, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                role = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                content = new Span(start, (int)reader.BytesConsumed);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (role is null)
        {
            throw new JsonException("each message needs a role");
        }
        var value = content.Present ? content.Of(message) : "\"\""u8;
        if (value[0] == (byte)'"')
        {
            w.WriteStartObject();
            w.WriteString("role"u8, role);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(value, skipInputValidation: true);
            w.WriteEndObject();
            return;
        }
        if (value[0] != (byte)'[')
        {
            throw new JsonException("message content must be a string or a list of blocks");
        }
        if (role == "assistant")
        {
            WriteAssistant(value, w);
        }
        else
        {
            WriteToolResults(value, w);
            WriteUserParts(value, role, w);
        }
    }

    private static void WriteAssistant(ReadOnlySpan<byte> blocks, Utf8JsonWriter w)
    {
        var texts = new List<Span>();
        var tools = new List<Span>();
        foreach (var (block, type) in Blocks(blocks))
        {
            if (type == BlockType.Text) texts.Add(block);
            else if (type == BlockType.ToolUse) tools.Add(block);
            // thinking / redacted_thinking: no Chat equivalent (and their signatures mean nothing to another model).
        }
        if (texts.Count == 0 && tools.Count == 0)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "assistant"u8);
            w.WriteString("content"u8, ""u8);
            w.WriteEndObject();
            return;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, "assistant"u8);
        if (texts.Count == 0)
        {
            w.WriteNull("content"u8);
        }
        else if (texts.Count == 1)
        {
            w.WritePropertyName("content"u8);
            w.WriteRawValue(Field(texts[0].Of(blocks), "text"u8), skipInputValidation: true);
        }
        else
        {
            using var joined = new PooledBufferWriter(blocks.Length);
            JoinRaw(blocks, default, default, joined);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
        }
        if (tools.Count > 0)
        {
            w.WriteStartArray("tool_calls"u8);
            foreach (var tool in tools)
            {
                var use = tool.Of(blocks);
                var (idSpan, nameSpan, inputSpan, _) = Members(use, "id"u8, "name"u8, "input"u8, default);
                w.WriteStartObject();
                w.WritePropertyName("id"u8);
                w.WriteRawValue(idSpan.Of(use), skipInputValidation: true);
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                w.WriteRawValue(nameSpan.Of(use), skipInputValidation: true);
                // OpenAI carries tool input as a JSON string; the input's own bytes are that string.
                var input = inputSpan.Of(use);
                w.WriteString("arguments"u8, input.Length == 0 || input.SequenceEqual("null"u8) ? "{}"u8 : input);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteToolResults(ReadOnlySpan<byte> blocks, Utf8JsonWriter w)
    {
        foreach (var (block, type) in Blocks(blocks))
        {
            if (type != BlockType.ToolResult)
            {
                continue;
            }
            var result = block.Of(blocks);
            var (idSpan, contentSpan, errorSpan, _) = Members(result, "tool_use_id"u8, "content"u8, "is_error"u8, default);
            w.WriteStartObject();
            w.WriteString("role"u8, "tool"u8);
            w.WritePropertyName("tool_call_id"u8);
            w.WriteRawValue(idSpan.Of(result), skipInputValidation: true);
            var content = contentSpan.Of(result);
            var isError = errorSpan.Of(result).SequenceEqual("true"u8);
            // Chat tool messages are text: text blocks are joined (images and documents dropped), and with no
            // is_error flag in Chat the model learns of a failure from the text.
            using var joined = new PooledBufferWriter(content.Length + 16);
            JoinRaw(content, isError ? "Error: "u8 : default, "\\n"u8, joined);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(joined.WrittenSpan, skipInputValidation: true);
            w.WriteEndObject();
        }
    }

    private static void WriteUserParts(ReadOnlySpan<byte> blocks, string role, Utf8JsonWriter w)
    {
        var parts = new List<(Span Block, BlockType Type)>();
        foreach (var entry in Blocks(blocks))
        {
            if (entry.Type is BlockType.Text or BlockType.Image)
            {
                parts.Add(entry);
            }
        }
        if (parts.Count == 0)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("role"u8, role);
        if (parts.Count == 1 && parts[0].Type == BlockType.Text)
        {
            // Plain string content: what every OpenAI-compatible server accepts.
            w.WritePropertyName("content"u8);
            w.WriteRawValue(Field(parts[0].Block.Of(blocks), "text"u8), skipInputValidation: true);
        }
        else
        {
            w.WriteStartArray("content"u8);
            foreach (var (block, type) in parts)
            {
                if (type == BlockType.Text)
                {
                    w.WriteStartObject();
                    w.WriteString("type"u8, "text"u8);
                    w.WritePropertyName("text"u8);
                    w.WriteRawValue(Field(block.Of(blocks), "text"u8), skipInputValidation: true);
                    w.WriteEndObject();
                }
                else
                {
                    WriteImage(Field(block.Of(blocks), "source"u8), w);
                }
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>An image <c>source</c> (base64 or url) as an <c>image_url</c> part; a data URL for base64.</summary>
    private static void WriteImage(ReadOnlySpan<byte> source, Utf8JsonWriter w)
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

    /// <summary>Client tools become functions; server tools (a <c>type</c> other than <c>custom</c>) have no schema to send and are dropped.</summary>
    private static bool WriteTools(ReadOnlySpan<byte> tools, Utf8JsonWriter w)
    {
        if (tools[0] != (byte)'[')
        {
            return false;
        }
        var any = false;
        var reader = new Utf8JsonReader(tools, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var tool = tools[start..(int)reader.BytesConsumed];
            if (tool[0] != (byte)'{')
            {
                continue;
            }
            var (typeSpan, nameSpan, descriptionSpan, schemaSpan) = Members(tool, "type"u8, "name"u8, "description"u8, "input_schema"u8);
            var type = typeSpan.Of(tool);
            var name = nameSpan.Of(tool);
            if ((type.Length > 0 && !type.SequenceEqual("\"custom\""u8)) || name.Length == 0)
            {
                continue;
            }
            if (!any)
            {
                w.WriteStartArray("tools"u8);
                any = true;
            }
            w.WriteStartObject();
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            w.WriteRawValue(name, skipInputValidation: true);
            var description = descriptionSpan.Of(tool);
            if (description.Length > 0 && description[0] == (byte)'"')
            {
                w.WritePropertyName("description"u8);
                w.WriteRawValue(description, skipInputValidation: true);
            }
            var schema = schemaSpan.Of(tool);
            w.WritePropertyName("parameters"u8);
            w.WriteRawValue(schema.Length > 0 ? schema : """{"type":"object"}"""u8, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (any)
        {
            w.WriteEndArray();
        }
        return any;
    }

    /// <summary><c>auto</c>→"auto", <c>any</c>→"required", <c>tool</c>→the named function, <c>none</c>→"none".</summary>
    private static void WriteToolChoice(ReadOnlySpan<byte> choice, Utf8JsonWriter w)
    {
        if (choice[0] != (byte)'{')
        {
            return;
        }
        var type = Field(choice, "type"u8);
        if (type.SequenceEqual("\"auto\""u8)) w.WriteString("tool_choice"u8, "auto"u8);
        else if (type.SequenceEqual("\"any\""u8)) w.WriteString("tool_choice"u8, "required"u8);
        else if (type.SequenceEqual("\"none\""u8)) w.WriteString("tool_choice"u8, "none"u8);
        else if (type.SequenceEqual("\"tool\""u8) && Field(choice, "name"u8) is { Length: > 0 } name)
        {
            w.WriteStartObject("tool_choice"u8);
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WritePropertyName("name"u8);
            w.WriteRawValue(name, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (Field(choice, "disable_parallel_tool_use"u8).SequenceEqual("true"u8))
        {
            w.WriteBoolean("parallel_tool_calls"u8, false);
        }
    }

    private static void WriteUser(ReadOnlySpan<byte> metadata, Utf8JsonWriter w)
    {
        if (metadata[0] == (byte)'{' && Field(metadata, "user_id"u8) is { Length: > 0 } user && user[0] == (byte)'"')
        {
            w.WritePropertyName("user"u8);
            w.WriteRawValue(user, skipInputValidation: true);
        }
    }

    private enum BlockType { Other, Text, Image, ToolUse, ToolResult }

    /// <summary>The blocks of a content array: each one's byte span and its kind.</summary>
    private static List<(Span Block, BlockType Type)> Blocks(ReadOnlySpan<byte> blocks)
    {
        var list = new List<(Span, BlockType)>();
        var reader = new Utf8JsonReader(blocks, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            // One pass per block: its type is read on the way to its end.
            var type = BlockType.Other;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType && reader.TokenType == JsonTokenType.String)
                {
                    type = reader.ValueTextEquals("text"u8) ? BlockType.Text
                        : reader.ValueTextEquals("image"u8) ? BlockType.Image
                        : reader.ValueTextEquals("tool_use"u8) ? BlockType.ToolUse
                        : reader.ValueTextEquals("tool_result"u8) ? BlockType.ToolResult
                        : BlockType.Other;
                }
                else
                {
                    reader.Skip();
                }
            }
            list.Add((new Span(start, (int)reader.BytesConsumed), type));
        }
        return list;
    }

    /// <summary>Up to four members of <paramref name="obj"/> found in one pass (an empty name matches nothing); absent ones are empty spans.</summary>
    private static (Span A, Span B, Span C, Span D) Members(ReadOnlySpan<byte> obj, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b,
        ReadOnlySpan<byte> c, ReadOnlySpan<byte> d)
    {
        Span ra = default, rb = default, rc = default, rd = default;
        if (obj.IsEmpty || obj[0] != (byte)'{')
        {
            return (ra, rb, rc, rd);
        }
        var reader = new Utf8JsonReader(obj, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var which = !a.IsEmpty && reader.ValueTextEquals(a) ? 1
                : !b.IsEmpty && reader.ValueTextEquals(b) ? 2
                : !c.IsEmpty && reader.ValueTextEquals(c) ? 3
                : !d.IsEmpty && reader.ValueTextEquals(d) ? 4
                : 0;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var span = new Span(start, (int)reader.BytesConsumed);
            switch (which)
            {
                case 1: ra = span; break;
                case 2: rb = span; break;
                case 3: rc = span; break;
                case 4: rd = span; break;
            }
        }
        return (ra, rb, rc, rd);
    }

    /// <summary>The raw bytes of a top-level member of <paramref name="obj"/> (strings keep their quotes); empty when absent.</summary>
    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> obj, ReadOnlySpan<byte> name)
    {
        if (obj.IsEmpty || obj[0] != (byte)'{')
        {
            return default;
        }
        var reader = new Utf8JsonReader(obj, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (match)
            {
                return obj[start..(int)reader.BytesConsumed];
            }
        }
        return default;
    }

    /// <summary>A raw JSON string token without its quotes (still escaped: only used for base64 and media types).</summary>
    private static ReadOnlySpan<byte> Unquoted(ReadOnlySpan<byte> token) =>
        token.Length >= 2 && token[0] == (byte)'"' ? token[1..^1] : default;
}

using System.Buffers;
using System.Text;
using System.Text.Json;

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
    public static byte[]? Translate(ReadOnlySpan<byte> body, string model, out string error)
    {
        var top = new TopLevel();
        try
        {
            if (!Scan(body, ref top, out error))
            {
                return null;
            }
            var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, OpenAiJson.WriterOptions))
            {
                Write(body, top, model, writer);
            }
            return buffer.WrittenSpan.ToArray();
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
        var text = JoinTexts(ref reader, "\n\n");
        if (text.Length > 0)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WriteString("content"u8, text);
            w.WriteEndObject();
        }
    }

    /// <summary>Joins the <c>text</c> of the text blocks in the array the reader is on.</summary>
    private static string JoinTexts(ref Utf8JsonReader reader, string separator)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return "";
        }
        var joined = new StringBuilder();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            string? type = null, text = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                else if (reader.ValueTextEquals("text"u8)) { reader.Read(); text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                else { reader.Read(); reader.Skip(); }
            }
            if (type == "text" && !string.IsNullOrEmpty(text))
            {
                if (joined.Length > 0)
                {
                    joined.Append(separator);
                }
                joined.Append(text);
            }
        }
        return joined.ToString();
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
            var joined = new StringBuilder();
            foreach (var text in texts)
            {
                joined.Append(StringOf(Field(text.Of(blocks), "text"u8)));
            }
            w.WriteString("content"u8, joined.ToString());
        }
        if (tools.Count > 0)
        {
            w.WriteStartArray("tool_calls"u8);
            foreach (var tool in tools)
            {
                var use = tool.Of(blocks);
                w.WriteStartObject();
                w.WritePropertyName("id"u8);
                w.WriteRawValue(Field(use, "id"u8), skipInputValidation: true);
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WritePropertyName("name"u8);
                w.WriteRawValue(Field(use, "name"u8), skipInputValidation: true);
                // OpenAI carries tool input as a JSON string; the input's own bytes are that string.
                var input = Field(use, "input"u8);
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
            w.WriteStartObject();
            w.WriteString("role"u8, "tool"u8);
            w.WritePropertyName("tool_call_id"u8);
            w.WriteRawValue(Field(result, "tool_use_id"u8), skipInputValidation: true);
            var content = Field(result, "content"u8);
            var isError = Field(result, "is_error"u8).SequenceEqual("true"u8);
            string text;
            if (content.Length > 0 && content[0] == (byte)'"')
            {
                text = StringOf(content);
            }
            else if (content.Length > 0 && content[0] == (byte)'[')
            {
                // Chat tool messages are text: text blocks are joined, images and documents are dropped.
                var reader = new Utf8JsonReader(content, ReaderOptions);
                reader.Read();
                text = JoinTexts(ref reader, "\n");
            }
            else
            {
                text = "";
            }
            // Chat has no is_error flag: the model learns of the failure from the text.
            w.WriteString("content"u8, isError ? "Error: " + text : text);
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
            var type = Field(tool, "type"u8);
            var name = Field(tool, "name"u8);
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
            var description = Field(tool, "description"u8);
            if (description.Length > 0 && description[0] == (byte)'"')
            {
                w.WritePropertyName("description"u8);
                w.WriteRawValue(description, skipInputValidation: true);
            }
            var schema = Field(tool, "input_schema"u8);
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
            reader.Skip();
            var span = new Span(start, (int)reader.BytesConsumed);
            var block = span.Of(blocks);
            if (block[0] != (byte)'{')
            {
                continue;
            }
            var type = Field(block, "type"u8);
            list.Add((span, type.SequenceEqual("\"text\""u8) ? BlockType.Text
                : type.SequenceEqual("\"image\""u8) ? BlockType.Image
                : type.SequenceEqual("\"tool_use\""u8) ? BlockType.ToolUse
                : type.SequenceEqual("\"tool_result\""u8) ? BlockType.ToolResult
                : BlockType.Other));
        }
        return list;
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

    private static string StringOf(ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty || token[0] != (byte)'"')
        {
            return "";
        }
        var reader = new Utf8JsonReader(token);
        reader.Read();
        return reader.GetString() ?? "";
    }
}

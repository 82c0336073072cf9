using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Turns a Chat Completions request body into a Messages request body in one forward
/// <see cref="Utf8JsonReader"/> pass per field and one <see cref="Utf8JsonWriter"/> pass out. Strings
/// the two APIs share (text, names, ids, schemas) are copied as raw JSON tokens, never decoded and
/// re-encoded. Field handling follows Anthropic's own OpenAI compatibility layer where it has one
/// (temperature capped at 1, <c>n</c> must be 1, <c>response_format</c> and penalties ignored), so a
/// client sees the same behaviour through the gateway as against Anthropic's endpoint.
/// </summary>
public static class ChatRequestTranslator
{
    /// <summary><c>max_tokens</c> is required by Messages and optional in Chat Completions: this fills it.</summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>Anthropic's temperature range ends at 1; OpenAI's at 2. Values between are capped, not rejected.</summary>
    public const double MaxTemperature = 1.0;

    private const double OpenAiMaxTemperature = 2.0;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = EnvelopeReader.MaxDepth };

    /// <summary>The relaxed encoder keeps base64 image data and non-ASCII text as they came (no <c>\u002B</c> bloat).</summary>
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = EnvelopeReader.MaxDepth + 8,
    };

    /// <summary>Writes the Messages body to <paramref name="output"/>; on false, what was written is garbage.</summary>
    public static bool TryTranslate(ReadOnlySpan<byte> chat, IBufferWriter<byte> output, out ChatRequestShape shape, out ChatRequestError? error)
    {
        shape = null!;
        if (!System.Text.Unicode.Utf8.IsValid(chat))
        {
            error = new("The request body is not valid UTF-8.", null);
            return false;
        }
        try
        {
            using var writer = new Utf8JsonWriter(output, WriterOptions);
            shape = Translate(chat, writer);
            writer.Flush();
            error = null;
            return true;
        }
        catch (InvalidChatRequestException e)
        {
            error = new(e.Message, e.Param);
            return false;
        }
        catch (JsonException e)
        {
            error = new($"We could not parse the JSON body of your request: {Trim(e.Message)}", null);
            return false;
        }
    }

    private static ChatRequestShape Translate(ReadOnlySpan<byte> json, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidChatRequestException("The request body must be a JSON object.", null);
        }
        Range model = default, messages = default, tools = default, toolChoice = default, stop = default, user = default,
            safetyIdentifier = default, thinking = default, topK = default;
        long? maxTokens = null, maxCompletionTokens = null;
        double? temperature = null, topP = null;
        bool stream = false, includeUsage = false;
        bool? parallelToolCalls = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8)) { model = StringValue(ref reader, "model"); }
            else if (reader.ValueTextEquals("messages"u8)) { messages = Value(ref reader, JsonTokenType.StartArray, "messages", "an array"); }
            else if (reader.ValueTextEquals("max_tokens"u8)) { maxTokens = PositiveInteger(ref reader, "max_tokens"); }
            else if (reader.ValueTextEquals("max_completion_tokens"u8)) { maxCompletionTokens = PositiveInteger(ref reader, "max_completion_tokens"); }
            else if (reader.ValueTextEquals("temperature"u8)) { temperature = Number(ref reader, "temperature", 0, OpenAiMaxTemperature); }
            else if (reader.ValueTextEquals("top_p"u8)) { topP = Number(ref reader, "top_p", 0, 1); }
            else if (reader.ValueTextEquals("stop"u8)) { stop = Value(ref reader, null, "stop", null); }
            else if (reader.ValueTextEquals("stream"u8)) { stream = Boolean(ref reader, "stream") ?? false; }
            else if (reader.ValueTextEquals("stream_options"u8)) { includeUsage = ReadStreamOptions(ref reader); }
            else if (reader.ValueTextEquals("user"u8)) { user = StringValue(ref reader, "user"); }
            else if (reader.ValueTextEquals("safety_identifier"u8)) { safetyIdentifier = StringValue(ref reader, "safety_identifier"); }
            else if (reader.ValueTextEquals("n"u8)) { CheckN(ref reader); }
            else if (reader.ValueTextEquals("tools"u8)) { tools = Value(ref reader, JsonTokenType.StartArray, "tools", "an array"); }
            else if (reader.ValueTextEquals("tool_choice"u8)) { toolChoice = Value(ref reader, null, "tool_choice", null); }
            else if (reader.ValueTextEquals("parallel_tool_calls"u8)) { parallelToolCalls = Boolean(ref reader, "parallel_tool_calls"); }
            // Anthropic fields an OpenAI SDK can send as extra body parameters, as Anthropic's own layer accepts them.
            else if (reader.ValueTextEquals("thinking"u8)) { thinking = Value(ref reader, JsonTokenType.StartObject, "thinking", "an object"); }
            else if (reader.ValueTextEquals("top_k"u8)) { topK = Value(ref reader, JsonTokenType.Number, "top_k", "an integer"); }
            else if (reader.ValueTextEquals("functions"u8) || reader.ValueTextEquals("function_call"u8))
            {
                var name = reader.GetString();
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                {
                    throw new InvalidChatRequestException($"'{name}' is deprecated and not supported by this gateway; use 'tools' and 'tool_choice'.", name);
                }
            }
            else
            {
                // response_format, logprobs, seed, penalties, logit_bias, store, metadata, service_tier,
                // reasoning_effort, ...: no Messages equivalent; ignored as Anthropic's compatibility layer ignores them.
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.Read())
        {
            throw new InvalidChatRequestException("The request body has content after the JSON object.", null);
        }
        if (model.Equals(default(Range)))
        {
            throw new InvalidChatRequestException("You must provide a model parameter.", "model");
        }
        if (messages.Equals(default(Range)))
        {
            throw new InvalidChatRequestException("Missing required parameter: 'messages'.", "messages");
        }

        writer.WriteStartObject();
        writer.WritePropertyName("model"u8);
        writer.WriteRawValue(json[model], skipInputValidation: true);
        writer.WriteNumber("max_tokens"u8, maxCompletionTokens ?? maxTokens ?? DefaultMaxTokens);
        WriteMessages(json[messages], writer);
        if (temperature is { } t)
        {
            writer.WriteNumber("temperature"u8, Math.Min(t, MaxTemperature));
        }
        if (topP is { } p)
        {
            writer.WriteNumber("top_p"u8, p);
        }
        if (!topK.Equals(default(Range)))
        {
            writer.WritePropertyName("top_k"u8);
            writer.WriteRawValue(json[topK], skipInputValidation: true);
        }
        if (!stop.Equals(default(Range)))
        {
            WriteStop(json[stop], writer);
        }
        if (stream)
        {
            writer.WriteBoolean("stream"u8, true);
        }
        var userId = !user.Equals(default(Range)) ? user : safetyIdentifier;
        if (!userId.Equals(default(Range)))
        {
            writer.WriteStartObject("metadata"u8);
            writer.WritePropertyName("user_id"u8);
            writer.WriteRawValue(json[userId], skipInputValidation: true);
            writer.WriteEndObject();
        }
        var hasTools = !tools.Equals(default(Range)) && WriteTools(json[tools], writer);
        if (hasTools)
        {
            // Messages has no tool_choice without tools; OpenAI's "none"/"auto" with no tools mean the same as leaving it out.
            WriteToolChoice(toolChoice.Equals(default(Range)) ? default : json[toolChoice], parallelToolCalls == false, writer);
        }
        if (!thinking.Equals(default(Range)))
        {
            writer.WritePropertyName("thinking"u8);
            writer.WriteRawValue(json[thinking], skipInputValidation: true);
        }
        writer.WriteEndObject();
        return new ChatRequestShape(Utf8(json[model][1..^1]), stream, stream && includeUsage);
    }

    // ---- messages -------------------------------------------------------------------------------

    private static void WriteMessages(ReadOnlySpan<byte> array, Utf8JsonWriter writer)
    {
        using var system = new PooledBufferWriter(256);
        using var systemWriter = new Utf8JsonWriter(system, WriterOptions);
        systemWriter.WriteStartArray();
        var turns = new TurnWriter(writer);
        writer.WriteStartArray("messages"u8);

        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var at = ((FieldPath)"messages").At(index);
                throw new InvalidChatRequestException($"Invalid type for '{at}': expected an object.", at.ToString());
            }
            reader.Skip();
            WriteMessage(array[start..(int)reader.BytesConsumed], index, turns, systemWriter);
            index++;
        }
        turns.Close();
        writer.WriteEndArray();
        if (!turns.Any)
        {
            throw new InvalidChatRequestException("'messages' must contain at least one user or assistant message.", "messages");
        }

        systemWriter.WriteEndArray();
        systemWriter.Flush();
        if (system.WrittenCount > 2)
        {
            writer.WritePropertyName("system"u8);
            writer.WriteRawValue(system.WrittenSpan, skipInputValidation: true);
        }
    }

    private static void WriteMessage(ReadOnlySpan<byte> message, int index, TurnWriter turns, Utf8JsonWriter system)
    {
        var path = ((FieldPath)"messages").At(index);
        var reader = new Utf8JsonReader(message, ReaderOptions);
        reader.Read();
        Range role = default, content = default, toolCalls = default, toolCallId = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8)) { role = StringValue(ref reader, path.Field(".role")); }
            else if (reader.ValueTextEquals("content"u8)) { content = Value(ref reader, null, path.Field(".content"), null); }
            else if (reader.ValueTextEquals("tool_calls"u8)) { toolCalls = Value(ref reader, JsonTokenType.StartArray, path.Field(".tool_calls"), "an array"); }
            else if (reader.ValueTextEquals("tool_call_id"u8)) { toolCallId = StringValue(ref reader, path.Field(".tool_call_id")); }
            else { reader.Read(); reader.Skip(); }
        }
        if (role.Equals(default(Range)))
        {
            throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".role")}'.", path.Field(".role").ToString());
        }
        var roleValue = message[role][1..^1];
        var contentValue = content.Equals(default(Range)) ? default : message[content];
        if (roleValue.SequenceEqual("system"u8) || roleValue.SequenceEqual("developer"u8))
        {
            // Messages has one top-level system prompt: every system/developer message becomes a block of it, in order.
            WriteTextBlocks(contentValue, system, path.Field(".content"), allowImages: false);
        }
        else if (roleValue.SequenceEqual("user"u8))
        {
            WriteContent(contentValue, turns, "user", path.Field(".content"), allowImages: true);
        }
        else if (roleValue.SequenceEqual("assistant"u8))
        {
            WriteContent(contentValue, turns, "assistant", path.Field(".content"), allowImages: false);
            if (!toolCalls.Equals(default(Range)))
            {
                WriteToolCalls(message[toolCalls], turns, path.Field(".tool_calls"));
            }
        }
        else if (roleValue.SequenceEqual("tool"u8))
        {
            if (toolCallId.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".tool_call_id")}'.", path.Field(".tool_call_id").ToString());
            }
            // Tool results are user content in Messages; consecutive ones share one user turn.
            var writer = turns.Block("user");
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_result"u8);
            writer.WritePropertyName("tool_use_id"u8);
            writer.WriteRawValue(message[toolCallId], skipInputValidation: true);
            if (!contentValue.IsEmpty && contentValue[0] == (byte)'"')
            {
                writer.WritePropertyName("content"u8);
                writer.WriteRawValue(contentValue, skipInputValidation: true);
            }
            else if (!contentValue.IsEmpty && contentValue[0] == (byte)'[')
            {
                writer.WritePropertyName("content"u8);
                writer.WriteStartArray();
                WriteTextBlocks(contentValue, writer, path.Field(".content"), allowImages: false);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        else if (roleValue.SequenceEqual("function"u8))
        {
            throw new InvalidChatRequestException($"The 'function' role is deprecated and not supported by this gateway; use 'tool' messages ('{path.Field(".role")}').", path.Field(".role").ToString());
        }
        else
        {
            throw new InvalidChatRequestException(
                $"Invalid value for '{path.Field(".role")}': '{Utf8(roleValue)}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", path.Field(".role").ToString());
        }
    }

    /// <summary>A message's content (string, array of parts, or null) as blocks of the given turn.</summary>
    private static void WriteContent(ReadOnlySpan<byte> content, TurnWriter turns, string role, FieldPath path, bool allowImages)
    {
        if (content.IsEmpty || content[0] == (byte)'n')
        {
            return;
        }
        if (content[0] == (byte)'"')
        {
            if (content.Length > 2)
            {
                WriteTextBlock(turns.Block(role), content);
            }
            return;
        }
        if (content[0] != (byte)'[')
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected a string or an array of content parts.", path.ToString());
        }
        var reader = new Utf8JsonReader(content, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var part = content[start..(int)reader.BytesConsumed];
            WritePart(part, role, path.At(index), allowImages, turns, null);
            index++;
        }
    }

    /// <summary>Text (and, for user turns, images) of a content value into an open array of blocks.</summary>
    private static void WriteTextBlocks(ReadOnlySpan<byte> content, Utf8JsonWriter writer, FieldPath path, bool allowImages)
    {
        if (content.IsEmpty || content[0] == (byte)'n')
        {
            return;
        }
        if (content[0] == (byte)'"')
        {
            if (content.Length > 2)
            {
                WriteTextBlock(writer, content);
            }
            return;
        }
        if (content[0] != (byte)'[')
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected a string or an array of content parts.", path.ToString());
        }
        var reader = new Utf8JsonReader(content, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            WritePart(content[start..(int)reader.BytesConsumed], null, path.At(index), allowImages, null, writer);
            index++;
        }
    }

    /// <summary>One content part: to a turn (<paramref name="turns"/>) or to an open block array (<paramref name="target"/>).</summary>
    private static void WritePart(ReadOnlySpan<byte> part, string? role, FieldPath path, bool allowImages, TurnWriter? turns, Utf8JsonWriter? target)
    {
        if (part.IsEmpty || part[0] != (byte)'{')
        {
            throw new InvalidChatRequestException($"Invalid type for '{path}': expected an object.", path.ToString());
        }
        var reader = new Utf8JsonReader(part, ReaderOptions);
        reader.Read();
        Range type = default, text = default, image = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8)) { type = StringValue(ref reader, path.Field(".type")); }
            else if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("refusal"u8)) { text = StringValue(ref reader, path.Field(".text")); }
            else if (reader.ValueTextEquals("image_url"u8)) { image = Value(ref reader, null, path.Field(".image_url"), null); }
            else { reader.Read(); reader.Skip(); }
        }
        var typeValue = type.Equals(default(Range)) ? default : part[type][1..^1];
        if (typeValue.SequenceEqual("text"u8) || typeValue.SequenceEqual("refusal"u8))
        {
            if (text.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".text")}'.", path.Field(".text").ToString());
            }
            if (part[text].Length > 2)
            {
                WriteTextBlock(target ?? turns!.Block(role!), part[text]);
            }
        }
        else if (typeValue.SequenceEqual("image_url"u8) && allowImages)
        {
            if (image.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".image_url")}'.", path.Field(".image_url").ToString());
            }
            WriteImageBlock(target ?? turns!.Block(role!), part[image], path.Field(".image_url"));
        }
        else
        {
            var name = type.Equals(default(Range)) ? "(none)" : Utf8(typeValue);
            throw new InvalidChatRequestException(
                $"Content part type '{name}' is not supported here ('{path.Field(".type")}'); supported: 'text'{(allowImages ? " and 'image_url'" : "")}.", path.Field(".type").ToString());
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> rawString)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        writer.WriteRawValue(rawString, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary><c>data:</c> URLs become base64 image sources; http(s) URLs become url sources.</summary>
    private static void WriteImageBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> imageUrl, FieldPath path)
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

    /// <summary>Assistant <c>tool_calls</c> become <c>tool_use</c> blocks; arguments (a JSON string) become the input object.</summary>
    private static void WriteToolCalls(ReadOnlySpan<byte> array, TurnWriter turns, FieldPath path)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var call = path.At(index);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidChatRequestException($"Invalid type for '{call}': expected an object.", call.ToString());
            }
            Range id = default, name = default, arguments = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8)) { id = StringValue(ref reader, call.Field(".id")); }
                else if (reader.ValueTextEquals("type"u8))
                {
                    RequireFunctionType(ref reader, call, "Tool call");
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    RequireObject(ref reader, call.Field(".function"));
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { name = StringValue(ref reader, call.Field(".function.name")); }
                        else if (reader.ValueTextEquals("arguments"u8)) { arguments = StringValue(ref reader, call.Field(".function.arguments")); }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (id.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{call.Field(".id")}'.", call.Field(".id").ToString());
            }
            if (name.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{call.Field(".function.name")}'.", call.Field(".function.name").ToString());
            }
            var writer = turns.Block("assistant");
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(array[id], skipInputValidation: true);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(array[name], skipInputValidation: true);
            writer.WritePropertyName("input"u8);
            WriteArguments(arguments.Equals(default(Range)) ? "\"\""u8 : array[arguments], writer, call.Field(".function.arguments"));
            writer.WriteEndObject();
            index++;
        }
    }

    /// <summary>The arguments string must hold a JSON object (empty means no arguments): Messages wants the object itself.</summary>
    /// <summary>Reads a <c>type</c> value that must be <c>function</c>, the one kind of tool both APIs share.</summary>
    private static void RequireFunctionType(ref Utf8JsonReader reader, FieldPath owner, string what)
    {
        reader.Read();
        if (!reader.ValueTextEquals("function"u8))
        {
            throw new InvalidChatRequestException($"{what} type '{reader.GetString()}' is not supported ('{owner.Field(".type")}'); only 'function'.", owner.Field(".type").ToString());
        }
    }

    /// <summary>Reads the start of a value that must be an object.</summary>
    private static void RequireObject(ref Utf8JsonReader reader, FieldPath field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidChatRequestException($"Invalid type for '{field}': expected an object.", field.ToString());
        }
    }

    private static void WriteArguments(ReadOnlySpan<byte> rawString, Utf8JsonWriter writer, FieldPath path)
    {
        var reader = new Utf8JsonReader(rawString);
        reader.Read();
        byte[]? rented = null;
        try
        {
            var text = Unescaped(ref reader, ref rented).Trim(" \t\r\n"u8);
            if (text.IsEmpty)
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
                return;
            }
            try
            {
                var inner = new Utf8JsonReader(text, ReaderOptions);
                if (!inner.Read() || inner.TokenType != JsonTokenType.StartObject)
                {
                    throw new InvalidChatRequestException($"'{path}' must be a JSON object encoded as a string.", path.ToString());
                }
                inner.Skip();
                if (inner.Read())
                {
                    throw new InvalidChatRequestException($"'{path}' has content after the JSON object.", path.ToString());
                }
            }
            catch (JsonException e)
            {
                throw new InvalidChatRequestException($"'{path}' is not valid JSON: {Trim(e.Message)}", path.ToString());
            }
            writer.WriteRawValue(text, skipInputValidation: true);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // ---- tools, tool_choice, stop ---------------------------------------------------------------

    /// <summary>Function tools become Messages tools; returns whether any were written.</summary>
    private static bool WriteTools(ReadOnlySpan<byte> array, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(array, ReaderOptions);
        reader.Read();
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = ((FieldPath)"tools").At(index);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidChatRequestException($"Invalid type for '{path}': expected an object.", path.ToString());
            }
            Range name = default, description = default, parameters = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    RequireFunctionType(ref reader, path, "Tool");
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    RequireObject(ref reader, path.Field(".function"));
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { name = StringValue(ref reader, path.Field(".function.name")); }
                        else if (reader.ValueTextEquals("description"u8)) { description = StringValue(ref reader, path.Field(".function.description")); }
                        else if (reader.ValueTextEquals("parameters"u8)) { parameters = Value(ref reader, JsonTokenType.StartObject, path.Field(".function.parameters"), "an object"); }
                        // strict: Messages has no per-tool strict mode here; ignored as Anthropic's layer ignores it.
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (name.Equals(default(Range)))
            {
                throw new InvalidChatRequestException($"Missing required parameter: '{path.Field(".function.name")}'.", path.Field(".function.name").ToString());
            }
            if (index == 0)
            {
                writer.WriteStartArray("tools"u8);
            }
            writer.WriteStartObject();
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(array[name], skipInputValidation: true);
            if (!description.Equals(default(Range)))
            {
                writer.WritePropertyName("description"u8);
                writer.WriteRawValue(array[description], skipInputValidation: true);
            }
            writer.WritePropertyName("input_schema"u8);
            if (parameters.Equals(default(Range)))
            {
                // OpenAI allows a function without parameters; Messages requires a schema.
                writer.WriteRawValue("""{"type":"object","properties":{}}"""u8, skipInputValidation: true);
            }
            else
            {
                writer.WriteRawValue(array[parameters], skipInputValidation: true);
            }
            writer.WriteEndObject();
            index++;
        }
        if (index > 0)
        {
            writer.WriteEndArray();
        }
        return index > 0;
    }

    /// <summary>auto/none/required/{function:{name}} → auto/none/any/tool; parallel_tool_calls:false → disable_parallel_tool_use.</summary>
    private static void WriteToolChoice(ReadOnlySpan<byte> choice, bool disableParallel, Utf8JsonWriter writer)
    {
        ReadOnlySpan<byte> type = "auto"u8;
        ReadOnlySpan<byte> name = default;
        if (!choice.IsEmpty && choice[0] == (byte)'"')
        {
            var value = choice[1..^1];
            if (value.SequenceEqual("none"u8)) { type = "none"u8; }
            else if (value.SequenceEqual("auto"u8)) { type = "auto"u8; }
            else if (value.SequenceEqual("required"u8)) { type = "any"u8; }
            else
            {
                throw new InvalidChatRequestException($"Invalid value for 'tool_choice': '{Utf8(value)}'. Supported values are: 'none', 'auto' and 'required'.", "tool_choice");
            }
        }
        else if (!choice.IsEmpty && choice[0] == (byte)'{')
        {
            var reader = new Utf8JsonReader(choice, ReaderOptions);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (!reader.ValueTextEquals("function"u8))
                    {
                        throw new InvalidChatRequestException($"tool_choice type '{reader.GetString()}' is not supported; use 'function'.", "tool_choice.type");
                    }
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw new InvalidChatRequestException("Invalid type for 'tool_choice.function': expected an object.", "tool_choice.function");
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8)) { var range = StringValue(ref reader, "tool_choice.function.name"); name = choice[range]; }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else { reader.Read(); reader.Skip(); }
            }
            if (name.IsEmpty)
            {
                throw new InvalidChatRequestException("Missing required parameter: 'tool_choice.function.name'.", "tool_choice.function.name");
            }
            type = "tool"u8;
        }
        else if (!choice.IsEmpty && choice[0] != (byte)'n')
        {
            throw new InvalidChatRequestException("Invalid type for 'tool_choice': expected a string or an object.", "tool_choice");
        }
        else if (!disableParallel)
        {
            return; // absent or null: Messages' default is auto.
        }

        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, type);
        if (!name.IsEmpty)
        {
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(name, skipInputValidation: true);
        }
        if (disableParallel && !type.SequenceEqual("none"u8))
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }
        writer.WriteEndObject();
    }

    /// <summary><c>stop</c> (a string or an array of strings) → <c>stop_sequences</c>.</summary>
    private static void WriteStop(ReadOnlySpan<byte> stop, Utf8JsonWriter writer)
    {
        if (stop[0] == (byte)'n')
        {
            return;
        }
        if (stop[0] == (byte)'"')
        {
            writer.WriteStartArray("stop_sequences"u8);
            writer.WriteRawValue(stop, skipInputValidation: true);
            writer.WriteEndArray();
            return;
        }
        if (stop[0] != (byte)'[')
        {
            throw new InvalidChatRequestException("Invalid type for 'stop': expected a string or an array of strings.", "stop");
        }
        var reader = new Utf8JsonReader(stop, ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new InvalidChatRequestException("Invalid type for 'stop': expected a string or an array of strings.", "stop");
            }
        }
        writer.WritePropertyName("stop_sequences"u8);
        writer.WriteRawValue(stop, skipInputValidation: true);
    }

    // ---- scalar readers -------------------------------------------------------------------------

    private static bool ReadStreamOptions(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidChatRequestException("Invalid type for 'stream_options': expected an object.", "stream_options");
        }
        var include = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("include_usage"u8))
            {
                include = Boolean(ref reader, "stream_options.include_usage") ?? false;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return include;
    }

    private static void CheckN(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var n))
        {
            throw new InvalidChatRequestException("Invalid type for 'n': expected an integer.", "n");
        }
        if (n != 1)
        {
            throw new InvalidChatRequestException($"n={n} is not supported: this gateway returns exactly one choice per request (n must be 1).", "n");
        }
    }

    private static long? PositiveInteger(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected an integer.", name);
        }
        if (value < 1)
        {
            throw new InvalidChatRequestException($"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value} instead.", name);
        }
        return value;
    }

    private static double? Number(ref Utf8JsonReader reader, string name, double min, double max)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected a number.", name);
        }
        if (value < min || value > max || double.IsNaN(value))
        {
            throw new InvalidChatRequestException(
                $"Invalid '{name}': expected a value between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, but got {value.ToString(CultureInfo.InvariantCulture)} instead.", name);
        }
        return value;
    }

    private static bool? Boolean(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new InvalidChatRequestException($"Invalid type for '{name}': expected a boolean.", name),
        };
    }

    /// <summary>The raw token range (quotes included) of a string value; null leaves the range empty.</summary>
    private static Range StringValue(ref Utf8JsonReader reader, FieldPath name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return default;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected a string.", name.ToString());
        }
        return (int)reader.TokenStartIndex..(int)reader.BytesConsumed;
    }

    /// <summary>The raw range of any value (checked against <paramref name="expected"/> when given); null leaves it empty.</summary>
    private static Range Value(ref Utf8JsonReader reader, JsonTokenType? expected, FieldPath name, string? expectedText)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null && expected is not null)
        {
            return default;
        }
        if (expected is { } kind && reader.TokenType != kind)
        {
            throw new InvalidChatRequestException($"Invalid type for '{name}': expected {expectedText}.", name.ToString());
        }
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }

    /// <summary>A string value's bytes with JSON escapes resolved; a pooled copy only when the value has escapes.</summary>
    internal static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader, ref byte[]? rented)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }
        rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        var length = reader.CopyString(rented);
        return rented.AsSpan(0, length);
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static string Trim(string message) => message.Length > 300 ? message[..300] : message;

    /// <summary>
    /// Opens a Messages turn lazily, at its first block, and keeps adding to it while the role stays the
    /// same: Messages wants user and assistant turns to alternate, Chat Completions does not.
    /// </summary>
    private sealed class TurnWriter(Utf8JsonWriter writer)
    {
        private string? _role;

        public bool Any { get; private set; }

        public Utf8JsonWriter Block(string role)
        {
            if (_role != role)
            {
                Close();
                writer.WriteStartObject();
                writer.WriteString("role"u8, role);
                writer.WriteStartArray("content"u8);
                _role = role;
                Any = true;
            }
            return writer;
        }

        public void Close()
        {
            if (_role is not null)
            {
                writer.WriteEndArray();
                writer.WriteEndObject();
                _role = null;
            }
        }
    }
}

using System.Buffers;
using System.Text.Json;
using static Gateway.Front.OpenAi.Surface.ChatRequestReader;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Turns a Chat Completions request body into a Messages request body in one forward
/// <see cref="Utf8JsonReader"/> pass per field and one <see cref="Utf8JsonWriter"/> pass out. Strings
/// the two APIs share (text, names, ids, schemas) are copied as raw JSON tokens, never decoded and
/// re-encoded. Field handling follows Anthropic's own OpenAI compatibility layer where it has one
/// (temperature capped at 1, <c>n</c> must be 1, <c>response_format</c> and penalties ignored), so a
/// client sees the same behaviour through the gateway as against Anthropic's endpoint.
/// </summary>
public static class ChatToMessagesRequest
{
    /// <summary><c>max_tokens</c> is required by Messages and optional in Chat Completions: this fills it.</summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>Anthropic's temperature range ends at 1; OpenAI's at 2. Values between are capped, not rejected.</summary>
    public const double MaxTemperature = 1.0;

    private const double OpenAiMaxTemperature = 2.0;

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
            using var writer = new Utf8JsonWriter(output, OpenAiJson.SurfaceWriterOptions);
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
        ChatToMessagesMessages.Write(json[messages], writer);
        ChatToMessagesSampling.Write(json, temperature, topP, topK, stop, writer);
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
        var hasTools = !tools.Equals(default(Range)) && ChatToMessagesTools.WriteTools(json[tools], writer);
        if (hasTools)
        {
            // Messages has no tool_choice without tools; OpenAI's "none"/"auto" with no tools mean the same as leaving it out.
            ChatToMessagesTools.WriteToolChoice(toolChoice.Equals(default(Range)) ? default : json[toolChoice], parallelToolCalls == false, writer);
        }
        if (!thinking.Equals(default(Range)))
        {
            writer.WritePropertyName("thinking"u8);
            writer.WriteRawValue(json[thinking], skipInputValidation: true);
        }
        writer.WriteEndObject();
        return new ChatRequestShape(Utf8(json[model][1..^1]), stream, stream && includeUsage);
    }


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
}

using System.Buffers;
using System.Text.Json;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// A non-streaming Chat completion → an Anthropic Message: the first choice's text (or refusal) as a
/// text block, each tool call as a <c>tool_use</c> block, <c>finish_reason</c> → <c>stop_reason</c>
/// through <see cref="FinishReasons"/>, and usage in Anthropic's terms (<see cref="ChatUsage"/>).
/// </summary>
public static class ChatToMessagesResponse
{
    /// <summary>Key holding tool arguments that are not a JSON object, so the Message stays valid (tool_use.input must be an object).</summary>
    public const string RawArgumentsKey = "_raw";

    public static void Translate(ReadOnlyMemory<byte> body, IBufferWriter<byte> output)
    {
        JsonDocument document;
        try
        {
            // Parsed in place: the document reads the pooled body without a copy.
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            ChatToMessagesError.WriteError(output, Errors.AnthropicErrorTypes.Api, "The OpenAI-compatible upstream returned a body that is not JSON.");
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices"u8, out var choices)
                || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                ChatToMessagesError.Translate(200, body.Span, output);
                return;
            }
            Write(root, choices[0], output);
        }
    }

    private static void Write(JsonElement root, JsonElement choice, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, OpenAiJson.WriterOptions);
        w.WriteStartObject();
        w.WriteString("id"u8, root.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : ChatIds.Message());
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, root.TryGetProperty("model"u8, out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : "");
        w.WriteStartArray("content"u8);
        var message = choice.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        if (message.ValueKind == JsonValueKind.Object)
        {
            var text = message.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() : null;
            if (string.IsNullOrEmpty(text) && message.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String)
            {
                text = refusal.GetString();
            }
            if (!string.IsNullOrEmpty(text))
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "text"u8);
                w.WriteString("text"u8, text);
                w.WriteEndObject();
            }
            if (message.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    WriteToolUse(call, w);
                }
            }
        }
        w.WriteEndArray();
        var finish = choice.TryGetProperty("finish_reason"u8, out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        w.WriteString("stop_reason"u8, FinishReasons.ToAnthropic(finish) ?? "end_turn");
        w.WriteNull("stop_sequence"u8);
        var usage = root.TryGetProperty("usage"u8, out var u) ? ChatUsage.From(u) : new ChatUsage();
        usage.Write(w);
        w.WriteEndObject();
    }

    private static void WriteToolUse(JsonElement call, Utf8JsonWriter w)
    {
        if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        w.WriteStartObject();
        w.WriteString("type"u8, "tool_use"u8);
        w.WriteString("id"u8, call.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : ChatIds.ToolUse());
        w.WriteString("name"u8, function.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : "");
        var arguments = function.TryGetProperty("arguments"u8, out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() ?? "" : "";
        w.WritePropertyName("input"u8);
        WriteInput(arguments, w);
        w.WriteEndObject();
    }

    /// <summary>
    /// Arguments that parse as a JSON object are the input as they are; empty ones are <c>{}</c>; anything
    /// else (a model's broken JSON) is kept whole under <see cref="RawArgumentsKey"/> so the client still
    /// gets a valid Message and the tool sees what the model wrote.
    /// </summary>
    internal static void WriteInput(string arguments, Utf8JsonWriter w)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            w.WriteStartObject();
            w.WriteEndObject();
            return;
        }
        try
        {
            using var parsed = JsonDocument.Parse(arguments);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object)
            {
                parsed.RootElement.WriteTo(w);
                return;
            }
        }
        catch (JsonException)
        {
        }
        w.WriteStartObject();
        w.WriteString(RawArgumentsKey, arguments);
        w.WriteEndObject();
    }
}

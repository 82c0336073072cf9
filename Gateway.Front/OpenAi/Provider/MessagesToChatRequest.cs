using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using static Gateway.Front.OpenAi.Provider.MessagesBodyReader;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Turns a Messages request body into a Chat Completions request body in one pass over the bytes:
/// a <see cref="Utf8JsonReader"/> finds each top-level value's byte span, and a
/// <see cref="Utf8JsonWriter"/> writes the Chat shape, copying strings and schemas as raw bytes
/// (no DTO round trip, no re-escaping). What has no Chat equivalent is dropped: <c>cache_control</c>,
/// <c>thinking</c> and thinking blocks, <c>top_k</c>, documents, server tools, images inside tool
/// results (docs/routing.md lists them).
/// </summary>
public static class MessagesToChatRequest
{
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
            MessagesToChatMessages.WriteSystem(top.System.Of(body), w);
        }
        MessagesToChatMessages.Write(top.Messages.Of(body), w);
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
        if (top.Tools.Present && MessagesToChatTools.WriteTools(top.Tools.Of(body), w) && top.ToolChoice.Present)
        {
            MessagesToChatTools.WriteToolChoice(top.ToolChoice.Of(body), w);
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


    private static void WriteUser(ReadOnlySpan<byte> metadata, Utf8JsonWriter w)
    {
        if (metadata[0] == (byte)'{' && Field(metadata, "user_id"u8) is { Length: > 0 } user && user[0] == (byte)'"')
        {
            w.WritePropertyName("user"u8);
            w.WriteRawValue(user, skipInputValidation: true);
        }
    }
}

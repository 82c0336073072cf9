using System.Buffers;
using System.Text.Json;
using Gateway.Front.Errors;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// The Chat side of <see cref="MessagesToChatStream"/>: how a chunk is framed (<c>data: {chunk}</c>, one
/// choice with its delta) and how the stream ends (the usage chunk and <c>[DONE]</c>, or an error data line).
/// </summary>
public sealed partial class MessagesToChatStream
{
    private void OnMessageStop()
    {
        if (_includeUsage)
        {
            BeginChunk();
            _writer.WriteStartArray("choices"u8);
            _writer.WriteEndArray();
            ChatUsageJson.Write(_writer, _usage);
            EndChunk();
        }
        _output.Write("data: [DONE]\n\n"u8);
        Finished = true;
    }

    private void OnError(ReadOnlySpan<byte> error)
    {
        string? type = null, message = null;
        if (!error.IsEmpty)
        {
            var reader = new Utf8JsonReader(error);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                    else if (reader.ValueTextEquals("message"u8)) { reader.Read(); message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null; }
                    else { reader.Read(); reader.Skip(); }
                }
            }
        }
        _usage.ErrorType = type ?? AnthropicErrorTypes.Api;
        _output.Write("data: "u8);
        _writer.Reset(_output);
        OpenAiErrorBody.WriteObject(_writer, message ?? "The upstream stream failed.", OpenAiErrorTypes.FromAnthropic(_usage.ErrorType), null, _usage.ErrorType);
        _output.Write("\n\n"u8);
        Finished = true;
    }

    private void BeginChunk()
    {
        _output.Write("data: "u8);
        _writer.Reset(_output);
        _writer.WriteStartObject();
        _writer.WriteString("id"u8, _id);
        _writer.WriteString("object"u8, "chat.completion.chunk"u8);
        _writer.WriteNumber("created"u8, _created);
        _writer.WriteString("model"u8, _model);
    }

    private void EndChunk()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        _output.Write("\n\n"u8);
    }

    /// <summary>Opens a chunk with one choice and its delta object; the caller writes the delta's fields.</summary>
    private void BeginChoice()
    {
        BeginChunk();
        _writer.WriteStartArray("choices"u8);
        _writer.WriteStartObject();
        _writer.WriteNumber("index"u8, 0);
        _writer.WriteStartObject("delta"u8);
    }

    private void EndChoice(string? finishReason)
    {
        _writer.WriteEndObject();
        _writer.WriteNull("logprobs"u8);
        _writer.WriteString("finish_reason"u8, finishReason);
        _writer.WriteEndObject();
        _writer.WriteEndArray();
        EndChunk();
    }
}

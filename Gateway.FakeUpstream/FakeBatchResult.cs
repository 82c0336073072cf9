using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// One request of a batch as the fake processes it: a valid Messages request succeeds with the reply
/// (and usage) <c>POST /v1/messages</c> would give it; an invalid one is errored with the 400 it would get.
/// </summary>
internal sealed record FakeBatchResult(string CustomId, bool Succeeded, byte[] Line)
{
    public static FakeBatchResult Process(string customId, ReadOnlyMemory<byte> parameters, FakeUpstreamOptions options)
    {
        using var request = MessagesRequest.Parse(parameters, requireMaxTokens: true, out var error);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("custom_id"u8, customId);
            json.WriteStartObject("result"u8);
            if (request is null)
            {
                json.WriteString("type"u8, "errored"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, "error"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, "invalid_request_error"u8);
                json.WriteString("message"u8, error);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            else
            {
                // Usage as a Messages reply computes it (no prompt cache across batch requests).
                var plan = ReplyPlan.Create(options, request.MaxTokens, ToolChoice.Choose(request.Root));
                var usage = new ReplyUsage(TokenEstimate.FromBytes(request.BodyLength), default, plan.OutputTokens);
                json.WriteString("type"u8, "succeeded"u8);
                json.WritePropertyName("message"u8);
                json.WriteRawValue(MessageJson.Build(FakeIds.Message(), request.Model, plan, usage).Span, skipInputValidation: true);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return new FakeBatchResult(customId, request is not null, buffer.WrittenSpan.ToArray());
    }

    /// <summary>The line a canceled batch gives for a request it never processed.</summary>
    public byte[] CanceledLine()
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("custom_id"u8, CustomId);
            json.WriteStartObject("result"u8);
            json.WriteString("type"u8, "canceled"u8);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream.Vertex;

/// <summary>
/// Google's error shape, <c>{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}</c>: what Vertex AI
/// answers for its own refusals (quota, credentials, unknown model), as opposed to the model's own errors, which it
/// passes through in Anthropic's shape.
/// </summary>
internal static class GoogleErrors
{
    public const string QuotaMessage =
        "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude. Please submit a quota increase request.";

    public static string StatusOf(int status) => status switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };

    public static Task WriteAsync(HttpContext ctx, int status, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteNumber("code"u8, status);
            json.WriteString("message"u8, message);
            json.WriteString("status"u8, StatusOf(status));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return JsonResponse.WriteAsync(ctx, status, buffer.WrittenMemory);
    }
}

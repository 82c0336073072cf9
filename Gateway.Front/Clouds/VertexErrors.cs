using System.Buffers;
using System.Text.Json;
using Gateway.Front.Errors;

namespace Gateway.Front.Clouds;

/// <summary>
/// Vertex AI answers errors of its own (quota, auth, routing) in Google's shape,
/// <c>{"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED"}}</c> (sometimes inside an array), and
/// passes the model's own errors through in Anthropic's. Clients (Claude Code's retry logic, the SDKs) read
/// Anthropic's, so Google's is rewritten to it: the status kept, the type from the status (429 →
/// <c>rate_limit_error</c>, 503 and 529 → <c>overloaded_error</c>, …), Google's message kept. An Anthropic-shaped or
/// unreadable body passes unchanged; headers (<c>retry-after</c>) are never touched.
/// </summary>
public static class VertexErrors
{
    public static string TypeFor(int status, string? googleStatus) => status switch
    {
        400 => AnthropicErrorTypes.InvalidRequest,
        401 => AnthropicErrorTypes.Authentication,
        402 => AnthropicErrorTypes.Billing,
        403 => AnthropicErrorTypes.Permission,
        404 => AnthropicErrorTypes.NotFound,
        413 => AnthropicErrorTypes.RequestTooLarge,
        429 => AnthropicErrorTypes.RateLimit,
        503 or 529 => AnthropicErrorTypes.Overloaded,
        504 => AnthropicErrorTypes.Timeout,
        _ when googleStatus is "RESOURCE_EXHAUSTED" => AnthropicErrorTypes.RateLimit,
        _ when googleStatus is "DEADLINE_EXCEEDED" => AnthropicErrorTypes.Timeout,
        >= 400 and < 500 => AnthropicErrorTypes.InvalidRequest,
        _ => AnthropicErrorTypes.Api,
    };

    public static void Translate(int status, ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        if (!TryRead(body, out var message, out var googleStatus))
        {
            output.Write(body);
            return;
        }
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, TypeFor(status, googleStatus));
        writer.WriteString("message"u8, message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Google's error message and status, or false when the body is not Google's shape (Anthropic's included).</summary>
    private static bool TryRead(ReadOnlySpan<byte> body, out string message, out string? googleStatus)
    {
        message = "";
        googleStatus = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("type", out _)
                || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "Vertex AI error";
            googleStatus = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

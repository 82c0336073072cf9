using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Anthropic's error shape, <c>{"type":"error","error":{"type":..,"message":..},"request_id":..}</c>,
/// and the status → error type table. Wording follows the real API where known, because clients
/// (Claude Code's retry logic) match on it.
/// </summary>
internal static class AnthropicErrors
{
    public const string RateLimitMessage =
        "This request would exceed your organization's rate limit of {0} requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.";

    public static bool IsKnownStatus(int status) => Describe(status).Type is not null;

    /// <summary>Error type and a default message for a status a fault may ask for.</summary>
    public static (string? Type, string Message) Describe(int status) => status switch
    {
        400 => ("invalid_request_error", "Invalid request"),
        401 => ("authentication_error", "invalid x-api-key"),
        402 => ("billing_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."),
        403 => ("permission_error", "Your API key does not have permission to use the specified resource."),
        404 => ("not_found_error", "Not Found"),
        413 => ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
        429 => ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage. Please try again later."),
        500 => ("api_error", "Internal server error"),
        502 => ("api_error", "Bad gateway"),
        503 => ("api_error", "Service unavailable"),
        504 => ("timeout_error", "Request timed out"),
        529 => ("overloaded_error", "Overloaded"),
        _ => (null, ""),
    };

    public static Task WriteAsync(HttpContext ctx, int status, string message)
    {
        var (type, _) = Describe(status);
        return WriteAsync(ctx, status, type ?? "api_error", message);
    }

    public static Task WriteAsync(HttpContext ctx, int status, string type, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "error"u8);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, type);
            json.WriteString("message"u8, message);
            json.WriteEndObject();
            json.WriteString("request_id"u8, (string?)ctx.Response.Headers[FakeUpstreamHeaders.RequestId]);
            json.WriteEndObject();
        }

        return JsonResponse.WriteAsync(ctx, status, buffer.WrittenMemory);
    }
}

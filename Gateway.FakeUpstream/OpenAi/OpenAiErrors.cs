using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>OpenAI's error shape, <c>{"error":{"message","type","param","code"}}</c>, with the type and code OpenAI uses per status.</summary>
internal static class OpenAiErrors
{
    public const string RateLimitMessage =
        "Rate limit reached for requests in organization org-fake on requests per min (RPM): Limit {0}, Used {0}, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.";

    public static (string Type, string? Code) Describe(int status) => status switch
    {
        400 => ("invalid_request_error", null),
        401 => ("invalid_request_error", "invalid_api_key"),
        403 => ("permission_error", null),
        404 => ("invalid_request_error", "model_not_found"),
        429 => ("requests", "rate_limit_exceeded"),
        503 or 529 => ("server_error", "overloaded"),
        _ => ("server_error", null),
    };

    public static Task WriteAsync(HttpContext ctx, int status, string message)
    {
        var (type, code) = Describe(status);
        return WriteAsync(ctx, status, type, code, message);
    }

    public static Task RateLimitedAsync(HttpContext ctx, int limit) =>
        WriteAsync(ctx, 429, string.Format(CultureInfo.InvariantCulture, RateLimitMessage, limit));

    public static Task WriteAsync(HttpContext ctx, int status, string type, string? code, string message) =>
        JsonResponse.WriteAsync(ctx, status, Body(type, code, message));

    public static ReadOnlyMemory<byte> Body(string type, string? code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteString("message"u8, message);
            json.WriteString("type"u8, type);
            json.WriteNull("param"u8);
            if (code is null)
            {
                json.WriteNull("code"u8);
            }
            else
            {
                json.WriteString("code"u8, code);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }
}

using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Gateway.Front.Errors;

/// <summary>
/// Writes the gateway's own errors in Anthropic's shape
/// (<c>{"type":"error","error":{"type":...,"message":...},"request_id":...}</c>) so every SDK and
/// Claude Code parse them the same way they parse upstream errors.
/// </summary>
public static class GatewayError
{
    public const string RequestIdHeader = "request-id";

    public static Task WriteAsync(HttpContext context, int status, string type, string message,
        TimeSpan? retryAfter = null, bool? shouldRetry = null, Action<IHeaderDictionary>? headers = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Bytes already reached the client: the only honest signal left is to cut the stream.
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = status;
        response.ContentType = "application/json";
        var requestId = NewRequestId();
        response.Headers[RequestIdHeader] = requestId;
        if (retryAfter is { } wait)
        {
            // Whole seconds for every client, milliseconds for the SDKs that read them.
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            response.Headers["retry-after-ms"] = ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (shouldRetry is { } retry)
        {
            response.Headers["x-should-retry"] = retry ? "true" : "false";
        }
        headers?.Invoke(response.Headers);

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteString("request_id", requestId);
            writer.WriteEndObject();
        }
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    public static Task InvalidRequest(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest, message);

    /// <summary>Ids look like Anthropic's (<c>req_…</c>) with a marker that says the gateway answered.</summary>
    public static string NewRequestId()
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return "req_gw_" + Convert.ToHexStringLower(random);
    }
}

using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream.Bedrock;

/// <summary>
/// Bedrock's error answers: <c>{"message":"..."}</c> with the error's name in <c>x-amzn-ErrorType</c> (and
/// <c>x-amzn-RequestId</c>), at the statuses Bedrock uses; a fault asking for 529 gets Bedrock's 503, since Bedrock
/// has no 529.
/// </summary>
internal static class BedrockErrors
{
    public static (int Status, string Type, string Message) Describe(int status) => status switch
    {
        400 => (400, "ValidationException", "Malformed input request, please reformat your input and try again."),
        401 or 403 => (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
        404 => (404, "ResourceNotFoundException", "The requested resource could not be found."),
        408 or 504 => (408, "ModelTimeoutException", "Model has timed out in processing the request."),
        424 => (424, "ModelErrorException", "The model returned an error."),
        429 => (429, "ThrottlingException", "Too many requests, please wait before trying again."),
        503 or 529 => (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
        _ => (500, "InternalServerException", "The server encountered an internal error."),
    };

    public static Task WriteAsync(HttpContext ctx, int status)
    {
        var (code, type, message) = Describe(status);
        return WriteAsync(ctx, code, type, message);
    }

    public static Task WriteAsync(HttpContext ctx, int status, string type, string message)
    {
        ctx.Response.Headers["x-amzn-ErrorType"] = type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        ctx.Response.Headers["x-amzn-RequestId"] = ctx.Response.Headers[FakeUpstreamHeaders.RequestId].ToString();
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("message"u8, message);
            json.WriteEndObject();
        }
        return JsonResponse.WriteAsync(ctx, status, buffer.WrittenMemory);
    }
}

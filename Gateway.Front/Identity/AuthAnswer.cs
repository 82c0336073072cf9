using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Front.Errors;

namespace Gateway.Front.Identity;

/// <summary>
/// Answers of the <c>/auth</c> endpoints: JSON (snake_case), or with <c>?format=env</c> one <c>KEY=value</c>
/// line per field so a bash helper reads them without jq. Refusals are Anthropic-shaped JSON with the
/// OAuth error (<c>authorization_pending</c>, <c>slow_down</c>, …) in the <c>x-oauth-error</c> header, or <c>ERROR=</c> lines.
/// </summary>
internal static class AuthAnswer
{
    public static bool WantsEnv(HttpRequest request) =>
        request.Query.TryGetValue("format", out var format) && string.Equals(format.ToString(), "env", StringComparison.OrdinalIgnoreCase);

    public static async Task WriteAsync(HttpContext context, IReadOnlyList<(string Name, object? Value)> fields, int status = StatusCodes.Status200OK)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        if (WantsEnv(context.Request))
        {
            var text = new StringBuilder();
            foreach (var (name, value) in fields)
            {
                if (value is not null)
                {
                    // Values are tokens, codes, URLs and numbers from us or the provider: one line each, no newline inside.
                    text.Append(name.ToUpperInvariant()).Append('=').Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!
                        .Replace('\n', ' ').Replace('\r', ' ')).Append('\n');
                }
            }
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync(text.ToString(), context.RequestAborted);
            return;
        }
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case int n:
                        writer.WriteNumber(name, n);
                        break;
                    case long n:
                        writer.WriteNumber(name, n);
                        break;
                    case bool b:
                        writer.WriteBoolean(name, b);
                        break;
                    default:
                        writer.WriteString(name, value.ToString());
                        break;
                }
            }
            writer.WriteEndObject();
        }
        response.ContentType = "application/json";
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    public static Task RefuseAsync(HttpContext context, int status, string type, string message, string? oauthError = null,
        TimeSpan? retryAfter = null)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (WantsEnv(context.Request))
        {
            return WriteAsync(context, [("error", oauthError ?? type), ("message", message)], status);
        }
        return GatewayError.WriteAsync(context, status, type, message, retryAfter,
            headers: oauthError is null ? null : h => h["x-oauth-error"] = oauthError);
    }
}

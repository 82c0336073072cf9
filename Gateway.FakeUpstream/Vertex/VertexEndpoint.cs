using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream.Vertex;

/// <summary>
/// Claude on Vertex AI: <c>POST /v1/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict</c>
/// (<c>:streamRawPredict</c> for SSE, <c>count-tokens:rawPredict</c> to count). Checks what Vertex checks: a bearer
/// token (one the fake Google token endpoint issued, or a configured one), the body's shape (no <c>model</c> except
/// for count-tokens, <c>anthropic_version</c> <c>vertex-2023-10-16</c>), the model id and the method; then answers as
/// the Anthropic endpoint does (same SSE, usage, faults), its own refusals in Google's error shape.
/// </summary>
internal sealed class VertexEndpoint(FakeUpstreamState state, RequestPipeline pipeline, MessagesEndpoint messages)
{
    public const string Route = "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{target}";

    public const string AnthropicVersion = "vertex-2023-10-16";

    public async Task HandleAsync(HttpContext ctx)
    {
        if (await pipeline.BeginAsync(ctx, authenticate: false, WireDialect.Vertex) is not { } admitted)
        {
            return;
        }
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            await GoogleErrors.WriteAsync(ctx, 404, $"The requested URL {ctx.Request.Path} was not found on this server.");
            return;
        }
        var token = Bearer(ctx.Request);
        if (token is null)
        {
            await GoogleErrors.WriteAsync(ctx, 401,
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
            return;
        }
        if (!Accepts(token))
        {
            await GoogleErrors.WriteAsync(ctx, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token.");
            return;
        }

        var target = (string)ctx.Request.RouteValues["target"]!;
        var colon = target.LastIndexOf(':');
        var model = colon < 0 ? target : target[..colon];
        var method = colon < 0 ? "" : target[(colon + 1)..];
        var counting = model == "count-tokens";
        if (method is not ("rawPredict" or "streamRawPredict") || (counting && method != "rawPredict") || !IsModelId(model))
        {
            await GoogleErrors.WriteAsync(ctx, 404,
                $"Publisher Model `projects/{ctx.Request.RouteValues["project"]}/locations/{ctx.Request.RouteValues["location"]}/publishers/anthropic/models/{target}` was not found or your project does not have access to it.");
            return;
        }

        if (!TryReadShape(admitted.Body, out var hasModel, out var version, out var stream))
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error", "The request body is not valid JSON.");
            return;
        }
        if (version != AnthropicVersion)
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error",
                version is null ? "anthropic_version: Field required" : $"anthropic_version: Input should be '{AnthropicVersion}'");
            return;
        }
        if (counting)
        {
            if (!hasModel)
            {
                await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error", "model: Field required");
                return;
            }
            await MessagesEndpoint.CountTokensAsync(ctx, admitted);
            return;
        }
        if (hasModel)
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error", "model: Extra inputs are not permitted");
            return;
        }
        if ((method == "streamRawPredict") != stream)
        {
            await AnthropicErrors.WriteAsync(ctx, 400, "invalid_request_error",
                method == "streamRawPredict" ? "streamRawPredict needs \"stream\": true" : "rawPredict cannot stream; use streamRawPredict");
            return;
        }
        // The model is in the path; the Anthropic answer names it, as Vertex's does.
        await messages.CreateAsync(ctx, admitted with { Body = WithModel(admitted.Body, model) });
    }

    private bool Accepts(string token)
    {
        var configured = state.Options.VertexAccessTokens;
        if (configured.Length == 0 && state.IssuedGoogleTokens.Count == 0)
        {
            return true;
        }
        return Array.IndexOf(configured, token) >= 0 || state.IsIssuedGoogleToken(token);
    }

    /// <summary>Vertex's ids: <c>claude-sonnet-4-5@20250929</c>, or a plain name for newer models.</summary>
    private static bool IsModelId(string model) =>
        model.Length is > 0 and <= 128 && model.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '@' or '_')
        && model.Count(c => c == '@') <= 1;

    private static bool TryReadShape(byte[] body, out bool hasModel, out string? version, out bool stream)
    {
        hasModel = false;
        version = null;
        stream = false;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }
            hasModel = document.RootElement.TryGetProperty("model", out _);
            version = document.RootElement.TryGetProperty("anthropic_version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            stream = document.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] WithModel(byte[] body, string model)
    {
        var start = Array.IndexOf(body, (byte)'{');
        var prefix = Encoding.UTF8.GetBytes("{\"model\":\"" + model + "\",");
        return [.. prefix, .. body.AsSpan(start + 1)];
    }

    private static string? Bearer(HttpRequest request)
    {
        var value = (string?)request.Headers[FakeUpstreamHeaders.Authorization];
        const string scheme = "Bearer ";
        return value is not null && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && value.Length > scheme.Length
            ? value[scheme.Length..].Trim()
            : null;
    }
}

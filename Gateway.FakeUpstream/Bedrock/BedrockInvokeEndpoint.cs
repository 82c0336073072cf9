using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream.Bedrock;

/// <summary>
/// A fake Bedrock runtime: <c>POST /model/{modelId}/invoke</c> and <c>/invoke-with-response-stream</c>. It checks
/// what Bedrock checks, in Bedrock's words: the SigV4 signature recomputed from the request (or a Bedrock API key
/// as a bearer), then the body (an object with <c>anthropic_version: "bedrock-2023-05-31"</c> and neither
/// <c>model</c> nor <c>stream</c>), then answers with the fake's Anthropic reply: a Message JSON, or its events
/// framed as an eventstream. Faults (<c>x-fake-fault</c> or the queue) apply as on the Anthropic endpoints, with
/// Bedrock's error names.
/// </summary>
internal sealed class BedrockInvokeEndpoint(FakeUpstreamState state, MessagesEndpoint messages)
{
    public const string Version = "bedrock-2023-05-31";

    public const string SigningService = "bedrock";

    public async Task InvokeAsync(HttpContext ctx, AdmittedRequest admitted, string modelId, bool stream)
    {
        var options = state.Options;
        var bearer = ctx.Request.Headers.Authorization.ToString();
        if (bearer.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            var key = bearer["Bearer ".Length..];
            if (options.ApiKeys.Length > 0 && !options.ApiKeys.Contains(key))
            {
                await BedrockErrors.WriteAsync(ctx, 403, "UnrecognizedClientException", "The security token included in the request is invalid.");
                return;
            }
        }
        else if (SigV4Verifier.Verify(ctx, admitted.Body, options.BedrockCredentials, SigningService, DateTimeOffset.UtcNow) is { } refused)
        {
            await BedrockErrors.WriteAsync(ctx, 403, refused.Type, refused.Message);
            return;
        }
        if (CheckBody(admitted.Body) is { } invalid)
        {
            await BedrockErrors.WriteAsync(ctx, 400, "ValidationException", invalid);
            return;
        }
        if (!modelId.Contains("anthropic.", StringComparison.Ordinal) && !modelId.StartsWith("arn:", StringComparison.Ordinal))
        {
            await BedrockErrors.WriteAsync(ctx, 400, "ValidationException", "The provided model identifier is invalid.");
            return;
        }
        // The reply is the fake's Anthropic one for the same request with the model and stream put back.
        // Bedrock answers with Anthropic's model name, not its own id.
        var anthropic = WithModel(admitted.Body, AnthropicName(modelId), stream);
        var inner = admitted with { Body = anthropic };
        if (stream)
        {
            EventStreamResponseBody.Install(ctx);
        }
        await messages.CreateAsync(ctx, inner);
    }

    /// <summary>Null when the body is what Bedrock takes; else ValidationException's message.</summary>
    private static string? CheckBody(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "Malformed input request: expected type: JSONObject";
            }
            if (root.TryGetProperty("model", out _))
            {
                return "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again.";
            }
            if (root.TryGetProperty("stream", out _))
            {
                return "Malformed input request: #: extraneous key [stream] is not permitted, please reformat your input and try again.";
            }
            if (!root.TryGetProperty("anthropic_version", out var version) || version.ValueKind != JsonValueKind.String)
            {
                return "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.";
            }
            if (version.GetString() != Version)
            {
                return "Invalid API version";
            }
            if (root.TryGetProperty("anthropic_beta", out var betas)
                && (betas.ValueKind != JsonValueKind.Array || betas.EnumerateArray().Any(b => b.ValueKind != JsonValueKind.String)))
            {
                return "Malformed input request: #/anthropic_beta: expected type: JSONArray";
            }
            return null;
        }
        catch (JsonException)
        {
            return "Malformed input request, please reformat your input and try again.";
        }
    }

    /// <summary><c>us.anthropic.claude-sonnet-4-5-20250929-v1:0</c> → <c>claude-sonnet-4-5-20250929</c>.</summary>
    private static string AnthropicName(string modelId)
    {
        var at = modelId.IndexOf("anthropic.", StringComparison.Ordinal);
        var name = at >= 0 ? modelId[(at + "anthropic.".Length)..] : modelId;
        var version = name.LastIndexOf("-v", StringComparison.Ordinal);
        return version > 0 ? name[..version] : name;
    }

    private static byte[] WithModel(byte[] body, string modelId, bool stream)
    {
        var text = Encoding.UTF8.GetString(body).TrimStart();
        var prefix = "{\"model\":" + JsonSerializer.Serialize(modelId) + ",\"stream\":" + (stream ? "true" : "false");
        var rest = text[1..].TrimStart();
        return Encoding.UTF8.GetBytes(prefix + (rest.StartsWith('}') ? "" : ",") + rest);
    }
}

using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Upstreams;
using Microsoft.Extensions.Primitives;

namespace Gateway.Front.Clouds;

/// <summary>
/// What the forwarder asks of a cloud provider (<c>vertex</c>, <c>foundry</c>) before each attempt: the body in the
/// provider's shape (<see cref="BodyFor"/>) and the call's path and credential (<see cref="PrepareAsync"/>). One per
/// front; holds each Vertex provider's Google token source.
/// </summary>
public sealed class CloudUpstreams : IDisposable
{
    public const string VertexAnthropicVersion = "vertex-2023-10-16";

    public const string MessagesPath = "/v1/messages";
    public const string CountTokensPath = "/v1/messages/count_tokens";

    private readonly Dictionary<string, GoogleAccessTokens> _tokens = new(StringComparer.OrdinalIgnoreCase);

    public CloudUpstreams(UpstreamDirectory directory)
    {
        foreach (var provider in directory.Providers)
        {
            if (provider.IsVertex)
            {
                _tokens[provider.Name] = new GoogleAccessTokens(provider.Settings?.CredentialsFile);
            }
        }
    }

    public void Dispose()
    {
        foreach (var tokens in _tokens.Values)
        {
            tokens.Dispose();
        }
    }

    /// <summary>The model the provider is asked for: the provider's table (or Vertex's defaults) applied; null when the name cannot be sent.</summary>
    public static string? ProviderModel(UpstreamProvider provider, string model)
    {
        var table = provider.Settings?.Models;
        if (provider.IsVertex)
        {
            return VertexModelIds.ToVertex(model, table);
        }
        return table is not null && table.TryGetValue(model, out var mapped) ? mapped : model;
    }

    /// <summary>
    /// The call for one attempt, or an error for the client: the Vertex predict path for the model and the Google
    /// token, or Foundry's <c>api-key</c>. A Vertex provider serves only Messages and count_tokens.
    /// </summary>
    public async ValueTask<(CloudCall? Call, CloudRefusal? Refusal)> PrepareAsync(UpstreamProvider provider, string requestPath,
        string? providerModel, bool stream, UpstreamCredential? credential, CancellationToken cancellationToken)
    {
        var capabilities = ProviderCapabilities.For(provider);
        if (provider.IsFoundry)
        {
            return (new CloudCall(null, "api-key", credential?.Secret ?? "", capabilities), null);
        }
        var settings = provider.Settings!;
        string method;
        if (requestPath.Equals(MessagesPath, StringComparison.OrdinalIgnoreCase) && providerModel is not null)
        {
            method = providerModel + (stream ? ":streamRawPredict" : ":rawPredict");
        }
        else if (requestPath.Equals(CountTokensPath, StringComparison.OrdinalIgnoreCase) && providerModel is not null)
        {
            method = "count-tokens:rawPredict";
        }
        else
        {
            return (null, new CloudRefusal(StatusCodes.Status404NotFound,
                $"{VertexModelIds.Quote(requestPath)} is not available: provider '{provider.Name}' is Vertex AI and serves only /v1/messages and /v1/messages/count_tokens."));
        }
        string token;
        try
        {
            token = await _tokens[provider.Name].GetAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, new CloudRefusal(StatusCodes.Status502BadGateway,
                $"The gateway could not obtain a Google access token for provider '{provider.Name}': {e.GetType().Name}.", e));
        }
        var path = $"/v1/projects/{settings.ProjectId}/locations/{settings.Region}/publishers/anthropic/models/{method}";
        return (new CloudCall(path, CloudCall.AuthorizationHeader, token, capabilities), null);
    }

    /// <summary>
    /// The body for the provider: for Vertex without <c>model</c> (count-tokens keeps it, as the Vertex id) and with
    /// <c>anthropic_version</c>, the betas Vertex takes only in the body moved into <c>anthropic_beta</c>; for Foundry
    /// the model as its deployment name; then what the provider refuses dropped. Null with <paramref name="error"/>
    /// when the body cannot be rewritten (the client gets a 400).
    /// </summary>
    public static RequestBody? BodyFor(UpstreamProvider provider, ReadOnlySpan<byte> body, string clientModel, string providerModel,
        bool countTokens, StringValues betaHeader, out string? error)
    {
        error = null;
        var capabilities = ProviderCapabilities.For(provider);
        if (provider.IsVertex)
        {
            var moved = capabilities.BodyBetasOf(betaHeader);
            using var output = new PooledBufferWriter(body.Length + 128);
            if (!CloudRequestBody.TryWrite(body, new CloudBodySettings(VertexAnthropicVersion, MoveBetas: moved.Length > 0, DropStream: false),
                new StringValues(moved), output, out error))
            {
                return null;
            }
            // The rewritten bytes go straight into the pooled request body: no intermediate copy of a 100 KB body.
            var vertexBody = countTokens ? WithModel(output.WrittenSpan, providerModel) : null;
            ReadOnlySpan<byte> shapedSpan = vertexBody ?? output.WrittenSpan;
            return CapabilityBodyFilter.Apply(shapedSpan, capabilities, provider.Name) is { } dropped
                ? RequestBody.FromBytes(dropped)
                : RequestBody.FromBytes(shapedSpan);
        }
        var shaped = string.Equals(clientModel, providerModel, StringComparison.Ordinal) ? null : ModelAlias.Rewrite(body, providerModel);
        var filtered = CapabilityBodyFilter.Apply(shaped ?? body, capabilities, provider.Name);
        return filtered is not null ? RequestBody.FromBytes(filtered)
            : shaped is not null ? RequestBody.FromBytes(shaped)
            : null;
    }

    /// <summary>Vertex's count-tokens takes the model in the body: <c>"model"</c> first, the id already checked to be plain.</summary>
    private static byte[] WithModel(ReadOnlySpan<byte> body, string model)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes("{\"model\":\"" + model + "\",");
        var result = new byte[prefix.Length + body.Length - 1];
        prefix.CopyTo(result, 0);
        body[1..].CopyTo(result.AsSpan(prefix.Length));
        return result;
    }
}

/// <summary>Why a cloud call could not be prepared: the status and message for the client (and the cause, for the log).</summary>
public sealed record CloudRefusal(int Status, string Message, Exception? Cause = null);

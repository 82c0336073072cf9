using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// A validated Messages (or count_tokens) request body. The JsonDocument reads the recorded body in
/// place (no copy) and is only walked for the few fields the fake needs; dispose to return its buffers.
/// </summary>
internal sealed class MessagesRequest : IDisposable
{
    private readonly JsonDocument _document;

    private MessagesRequest(JsonDocument document, string model, int maxTokens, bool stream, int bodyLength, int cacheMarkers)
    {
        _document = document;
        Model = model;
        MaxTokens = maxTokens;
        Stream = stream;
        BodyLength = bodyLength;
        CacheMarkers = cacheMarkers;
    }

    public JsonElement Root => _document.RootElement;
    public string Model { get; }
    /// <summary>0 for count_tokens, which has no max_tokens.</summary>
    public int MaxTokens { get; }
    public bool Stream { get; }
    public int BodyLength { get; }
    /// <summary>The blocks marked with <c>cache_control</c>; the endpoints refuse more than <see cref="PromptCacheSimulator.MaxBreakpoints"/>.</summary>
    public int CacheMarkers { get; }

    /// <summary>Parses and validates; on failure returns null and an invalid_request_error message.</summary>
    public static MessagesRequest? Parse(ReadOnlyMemory<byte> body, bool requireMaxTokens, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            error = $"There was an error parsing the body of your request: {e.Message}";
            return null;
        }

        var ok = false;
        try
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "Input should be a valid dictionary or object to extract fields from";
                return null;
            }

            if (!root.TryGetProperty("model"u8, out var modelElement) || modelElement.ValueKind != JsonValueKind.String
                || modelElement.GetString() is not { Length: > 0 } model)
            {
                error = "model: Field required";
                return null;
            }

            var maxTokens = 0;
            if (requireMaxTokens)
            {
                if (!root.TryGetProperty("max_tokens"u8, out var maxElement))
                {
                    error = "max_tokens: Field required";
                    return null;
                }
                if (maxElement.ValueKind != JsonValueKind.Number || !maxElement.TryGetInt32(out maxTokens))
                {
                    error = "max_tokens: Input should be a valid integer";
                    return null;
                }
                if (maxTokens < 1)
                {
                    error = "max_tokens: Input should be greater than or equal to 1";
                    return null;
                }
            }

            if (!root.TryGetProperty("messages"u8, out var messages))
            {
                error = "messages: Field required";
                return null;
            }
            if (messages.ValueKind != JsonValueKind.Array)
            {
                error = "messages: Input should be a valid list";
                return null;
            }

            var markers = PromptCacheSimulator.CountMarkers(root);
            var stream = root.TryGetProperty("stream"u8, out var streamElement) && streamElement.ValueKind == JsonValueKind.True;
            error = "";
            ok = true;
            return new MessagesRequest(document, model, maxTokens, stream, body.Length, markers);
        }
        finally
        {
            if (!ok)
            {
                document.Dispose();
            }
        }
    }

    public void Dispose() => _document.Dispose();
}

namespace Gateway.Front.Envelope;

/// <summary>
/// What the gateway needs to know about a Messages request, read without materialising the body:
/// enough to admit, route and audit it. Everything else in the body is passed through untouched.
/// </summary>
public sealed record RequestEnvelope(
    string Model,
    bool Stream,
    long? MaxTokens,
    string? MetadataUserId,
    string? SessionId,
    int BodyBytes);

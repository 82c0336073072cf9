namespace Gateway.FakeUpstream;

/// <summary>Which API an endpoint of the fake imitates: its error shape and rate-limit headers follow.</summary>
internal enum WireDialect
{
    Anthropic,
    OpenAi,

    /// <summary>Google Vertex AI: Google's error shape for its own errors, no rate-limit headers.</summary>
    Vertex,
    /// <summary>Amazon Bedrock: <c>{"message":..}</c> bodies named by <c>x-amzn-ErrorType</c>.</summary>
    Bedrock,
}

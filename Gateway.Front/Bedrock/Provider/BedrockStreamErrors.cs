using Gateway.Front.Errors;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Bedrock's error names (the <c>x-amzn-ErrorType</c> of an HTTP error, the <c>:exception-type</c> of a mid-stream
/// exception) as Anthropic's error types and statuses, so clients such as Claude Code retry and back off as
/// they do for Anthropic: throttling is a <c>rate_limit_error</c> (429), an unavailable or not-ready model an
/// <c>overloaded_error</c> (529), and so on.
/// </summary>
public static class BedrockStreamErrors
{
    /// <summary>Anthropic's status and error type for a Bedrock error name (either case of its first letter) or, failing that, HTTP status.</summary>
    public static (int Status, string Type) Map(ReadOnlySpan<char> errorName, int status)
    {
        // x-amzn-ErrorType may carry a namespace after a colon: "ThrottlingException:http://internal.amazon.com/...".
        var colon = errorName.IndexOf(':');
        if (colon >= 0)
        {
            errorName = errorName[..colon];
        }
        return errorName switch
        {
            _ when Is(errorName, "ThrottlingException") || Is(errorName, "ServiceQuotaExceededException")
                || Is(errorName, "TooManyRequestsException") => (429, AnthropicErrorTypes.RateLimit),
            _ when Is(errorName, "ServiceUnavailableException") || Is(errorName, "ModelNotReadyException") => (529, AnthropicErrorTypes.Overloaded),
            _ when Is(errorName, "ValidationException") => (400, AnthropicErrorTypes.InvalidRequest),
            _ when Is(errorName, "AccessDeniedException") => (403, AnthropicErrorTypes.Permission),
            _ when Is(errorName, "UnrecognizedClientException") || Is(errorName, "InvalidSignatureException")
                || Is(errorName, "ExpiredTokenException") || Is(errorName, "MissingAuthenticationTokenException") => (401, AnthropicErrorTypes.Authentication),
            _ when Is(errorName, "ResourceNotFoundException") => (404, AnthropicErrorTypes.NotFound),
            _ when Is(errorName, "ModelTimeoutException") => (504, AnthropicErrorTypes.Timeout),
            _ when Is(errorName, "InternalServerException") || Is(errorName, "ModelErrorException")
                || Is(errorName, "ModelStreamErrorException") => (500, AnthropicErrorTypes.Api),
            _ => status switch
            {
                400 => (400, AnthropicErrorTypes.InvalidRequest),
                401 => (401, AnthropicErrorTypes.Authentication),
                403 => (403, AnthropicErrorTypes.Permission),
                404 => (404, AnthropicErrorTypes.NotFound),
                408 => (504, AnthropicErrorTypes.Timeout),
                413 => (413, AnthropicErrorTypes.RequestTooLarge),
                429 => (429, AnthropicErrorTypes.RateLimit),
                503 or 529 => (529, AnthropicErrorTypes.Overloaded),
                >= 500 => (500, AnthropicErrorTypes.Api),
                _ => (status is >= 400 and < 600 ? status : 500, AnthropicErrorTypes.Api),
            },
        };
    }

    private static bool Is(ReadOnlySpan<char> name, string known) =>
        name.Length == known.Length && char.ToUpperInvariant(name[0]) == known[0] && name[1..].SequenceEqual(known.AsSpan(1));
}

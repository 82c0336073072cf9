using Gateway.Front.Errors;

namespace Gateway.Front.OpenAi;

/// <summary>
/// Error types between the two wire shapes. OpenAI's body is
/// <c>{"error":{"message":...,"type":...,"param":null,"code":...}}</c>; Anthropic's is
/// <c>{"type":"error","error":{"type":...,"message":...}}</c>. Clients of each SDK branch on the
/// HTTP status first, so the status is kept and only the type names are mapped.
/// </summary>
public static class OpenAiErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RateLimit = "rate_limit_exceeded";
    public const string InsufficientQuota = "insufficient_quota";
    public const string Server = "server_error";
    public const string Timeout = "timeout";

    /// <summary>Anthropic error type → the OpenAI type an OpenAI SDK client expects.</summary>
    public static string FromAnthropic(string? anthropicType) => anthropicType switch
    {
        AnthropicErrorTypes.InvalidRequest or AnthropicErrorTypes.RequestTooLarge => InvalidRequest,
        AnthropicErrorTypes.Authentication => Authentication,
        AnthropicErrorTypes.Permission => Permission,
        AnthropicErrorTypes.NotFound => NotFound,
        AnthropicErrorTypes.RateLimit => RateLimit,
        AnthropicErrorTypes.Billing => InsufficientQuota,
        AnthropicErrorTypes.Timeout => Timeout,
        _ => Server,
    };

    /// <summary>An OpenAI-compatible upstream's error (status and type) → the Anthropic type Claude Code and the SDKs expect.</summary>
    public static string ToAnthropic(int status, string? openAiType) => (status, openAiType) switch
    {
        (_, InsufficientQuota) => AnthropicErrorTypes.Billing,
        (400, _) or (422, _) => AnthropicErrorTypes.InvalidRequest,
        (401, _) => AnthropicErrorTypes.Authentication,
        (403, _) => AnthropicErrorTypes.Permission,
        (404, _) => AnthropicErrorTypes.NotFound,
        (413, _) => AnthropicErrorTypes.RequestTooLarge,
        (429, _) => AnthropicErrorTypes.RateLimit,
        (503, _) or (529, _) => AnthropicErrorTypes.Overloaded,
        (504, _) or (408, _) => AnthropicErrorTypes.Timeout,
        _ => AnthropicErrorTypes.Api,
    };
}

namespace Gateway.Front.Identity;

/// <summary>A sign-in or refresh: the user and tokens, or the refusal (status, Anthropic error type, message, OAuth error when one applies).</summary>
public sealed record SignInOutcome
{
    public SignedInUser? User { get; init; }
    public string? AccessToken { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public string? RefreshToken { get; init; }

    public int Status { get; init; } = StatusCodes.Status200OK;
    public string? ErrorType { get; init; }
    public string? Message { get; init; }
    public string? OAuthError { get; init; }

    public bool Ok => User is not null;

    public static SignInOutcome Refused(int status, string errorType, string message, string? oauthError = null) =>
        new() { Status = status, ErrorType = errorType, Message = message, OAuthError = oauthError };
}

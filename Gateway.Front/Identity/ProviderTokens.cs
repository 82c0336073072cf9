namespace Gateway.Front.Identity;

/// <summary>What a provider's token endpoint answered: tokens, or its OAuth error (<c>authorization_pending</c>, …).</summary>
public sealed record ProviderTokens(string? IdToken, string? RefreshToken, string? Error, string? ErrorDescription)
{
    public bool Ok => Error is null;
}

/// <summary>A provider's device authorization answer (RFC 8628 §3.2), passed to the helper as it came.</summary>
public sealed record DeviceAuthorization(string DeviceCode, string UserCode, string VerificationUri, string? VerificationUriComplete,
    int ExpiresIn, int Interval);

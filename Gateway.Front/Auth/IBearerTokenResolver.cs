namespace Gateway.Front.Auth;

/// <summary>
/// Signed tokens the gateway issued itself (a person's sign-in, Gateway.Front/Identity) presented where a
/// virtual key goes. A valid one names the lookup hash of its key, and from there on the request is a
/// key's request. Auth knows nothing of identity providers: only this shape.
/// </summary>
public interface IBearerTokenResolver
{
    /// <summary>Cheap shape check: true when <paramref name="credential"/> is meant as one of these tokens, not a virtual key.</summary>
    bool IsToken(string credential);

    ValueTask<BearerTokenResult> ResolveAsync(string credential);
}

/// <summary>
/// A resolved token: <see cref="LookupHash"/> finds the key (as a secret's hash would), which must be
/// <see cref="KeyId"/>; else <see cref="Error"/> says why it is refused (expired, bad signature, unknown issuer).
/// </summary>
public readonly record struct BearerTokenResult(string? LookupHash, string? KeyId, string? Error)
{
    public bool Valid => LookupHash is not null && KeyId is not null;

    public static BearerTokenResult Refused(string error) => new(null, null, error);
}

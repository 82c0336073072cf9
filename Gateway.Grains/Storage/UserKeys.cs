using System.Security.Cryptography;
using System.Text;

namespace Gateway.Grains.Storage;

/// <summary>
/// Ids and lookup hashes of user keys. The id is <c>usr_</c> and 24 hex digits of the SHA-256 of issuer
/// and subject: the same person from the same issuer always gets the same key, on every front.
/// </summary>
public static class UserKeys
{
    public const string IdPrefix = "usr_";
    public const string KeyKind = "key";
    public const string UserKind = "user";

    /// <summary>What listings show instead of a secret's first characters: a user key has no secret.</summary>
    public const string DisplayPrefix = "(sign-in)";

    public static string IdFor(string issuer, string subject)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(subject);
        // The separator cannot occur in a configured issuer name, so (a, b\nc) and (a\nb, c) never collide.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(issuer + "\n" + subject));
        return IdPrefix + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    public static bool IsUserKeyId(string? keyId) => keyId is not null && keyId.StartsWith(IdPrefix, StringComparison.Ordinal);

    /// <summary>
    /// A lookup hash for a new user key: SHA-256-shaped (the column's check) but of random bytes, so no
    /// presented secret hashes to it; only the gateway's signed tokens name it.
    /// </summary>
    public static string NewLookupHash() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}

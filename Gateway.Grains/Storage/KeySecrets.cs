using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Grains.Storage;

/// <summary>
/// Virtual key secrets: made here, shown to the administrator once, and from then on known to the
/// gateway only by their SHA-256 (lowercase hex) and their first characters.
/// </summary>
public static class KeySecrets
{
    /// <summary>Every virtual key starts with this, so it is recognisable (and never taken for an admin token).</summary>
    public const string Prefix = "sk-gw-";

    /// <summary>Random characters after <see cref="Prefix"/>: 40 of 64 symbols, 240 bits.</summary>
    public const int RandomLength = 40;

    /// <summary>Characters kept for display (<c>sk-gw-AbC123</c>): enough to recognise a key, far too few to use it.</summary>
    public const int DisplayPrefixLength = 12;

    /// <summary>Length of <see cref="Hash"/>'s result: 32 bytes as hex.</summary>
    public const int HashLength = 64;

    private const string UrlSafeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    // Longer secrets than this are hashed from a pooled buffer instead of the stack.
    private const int MaxStackBytes = 256;

    /// <summary>A new secret: <c>sk-gw-</c> and 40 URL-safe characters from the system's CSPRNG.</summary>
    public static string Generate() =>
        string.Create(Prefix.Length + RandomLength, 0, static (span, _) =>
        {
            Prefix.CopyTo(span);
            RandomNumberGenerator.GetItems(UrlSafeAlphabet.AsSpan(), span[Prefix.Length..]);
        });

    /// <summary>SHA-256 of the secret's UTF-8 bytes, as 64 lowercase hex characters; allocates only the result.</summary>
    public static string Hash(ReadOnlySpan<char> secret)
    {
        var byteCount = Encoding.UTF8.GetMaxByteCount(secret.Length);
        byte[]? rented = null;
        Span<byte> utf8 = byteCount <= MaxStackBytes
            ? stackalloc byte[MaxStackBytes]
            : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(secret, utf8);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..written], hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The first <see cref="DisplayPrefixLength"/> characters, shown in listings to recognise a key.</summary>
    public static string DisplayPrefix(ReadOnlySpan<char> secret) =>
        secret[..Math.Min(DisplayPrefixLength, secret.Length)].ToString();

    /// <summary>True when <paramref name="value"/> has the shape of a virtual key (used to refuse one as an admin credential).</summary>
    public static bool LooksLikeVirtualKey(ReadOnlySpan<char> value) => value.StartsWith(Prefix, StringComparison.Ordinal);
}

using System.Security.Cryptography;
using System.Text;

namespace Gateway.Front.Envelope;

/// <summary>
/// Makes a client's session id safe to key a grain and a database row by. Claude Code's ids are UUIDs
/// and pass unchanged; anything longer than <see cref="MaxLength"/> or holding other than printable
/// ASCII (a NUL or a lone surrogate from a JSON <c>\u0000</c>/<c>\ud800</c>, control characters, a
/// 30 KB header) becomes a stable digest of itself. Without this, one such id made every flush of its
/// <c>session_usage</c> row fail (Postgres text refuses NUL; a B-tree key holds at most ~2.7 KB) and
/// dropped its request from <c>request_log</c> (the session index has the same key limit). Refusing the
/// request instead would break clients the API itself serves: the header and <c>metadata.user_id</c>
/// are free text to Anthropic.
/// </summary>
public static class SessionIds
{
    public const int MaxLength = 128;

    /// <summary>Prefix of a digested id, so it cannot be mistaken for (or collide with) a client's own UUID.</summary>
    public const string DigestPrefix = "sha256-";

    public static string? Normalize(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }
        if (raw.Length <= MaxLength && IsPrintableAscii(raw))
        {
            return raw;
        }
        // UTF-8 with replacement: a lone surrogate still digests (to the same id each time).
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(raw), hash);
        return DigestPrefix + Convert.ToHexStringLower(hash[..16]);
    }

    private static bool IsPrintableAscii(string value)
    {
        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}

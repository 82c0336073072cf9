using System.Security.Cryptography;
using System.Text;

namespace Gateway.Front.Upstreams;

/// <summary>
/// An upstream API key and the id it is known by in logs, metrics and the audit log: a short hash,
/// stable across restarts and useless to anyone who reads it.
/// </summary>
public sealed record UpstreamCredential(string Secret, string Id)
{
    public static UpstreamCredential From(string secret) =>
        new(secret, "uk_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12]);

    /// <summary>
    /// The record's generated text would print <see cref="Secret"/> wherever a credential is logged or
    /// interpolated (a log template, an exception message, a debugger): only the id is printed.
    /// </summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Id = ").Append(Id).Append(", Secret = ***");
        return true;
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Gateway.Front.Forwarding;

/// <summary>
/// An upstream API key and the id it is known by in logs, metrics and the audit log: a short hash,
/// stable across restarts and useless to anyone who reads it.
/// </summary>
public sealed record UpstreamCredential(string Secret, string Id)
{
    public static UpstreamCredential From(string secret) =>
        new(secret, "uk_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))[..12]);
}

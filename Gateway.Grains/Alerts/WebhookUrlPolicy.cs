using Gateway.Grains.Text;

namespace Gateway.Grains.Alerts;

/// <summary>
/// Which webhook URLs a rule may name. An admin sets them, but a URL is still bounded: absolute http(s),
/// at most <see cref="MaxLength"/> characters, no credentials in it, and a host in
/// <see cref="AlertOptions.AllowedWebhookHosts"/> when that list is set (the switch for operators wary of the
/// gateway being pointed at internal services). Redirects are never followed (see <see cref="WebhookSender"/>),
/// so an allowed host cannot hand a delivery to one that is not.
/// </summary>
public static class WebhookUrlPolicy
{
    public const int MaxLength = 2048;

    /// <summary>Why <paramref name="url"/> is refused, or null when it is fine.</summary>
    public static string? Problem(string? url, IReadOnlyCollection<string> allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(allowedHosts);
        if (string.IsNullOrWhiteSpace(url))
        {
            return "must be an http or https URL";
        }
        if (url.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters";
        }
        if (!BoundedText.IsPrintable(url) || url.Any(char.IsWhiteSpace))
        {
            return "must not contain spaces or control characters";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "must be an absolute http or https URL";
        }
        if (uri.UserInfo.Length > 0)
        {
            return "must not carry credentials (user:password@)";
        }
        if (uri.Host.Length == 0)
        {
            return "must name a host";
        }
        if (allowedHosts.Count > 0 && !allowedHosts.Any(pattern => HostMatches(uri.IdnHost, pattern)))
        {
            return $"names host '{uri.Host}', which is not in {AlertOptions.Section}:AllowedWebhookHosts";
        }
        return null;
    }

    /// <summary>Whether <paramref name="host"/> is <paramref name="pattern"/> or, for <c>*.domain</c>, a subdomain of it.</summary>
    public static bool HostMatches(string host, string pattern)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(pattern);
        host = host.TrimEnd('.');
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var domain = pattern[1..]; // ".example.com"
            return host.Length > domain.Length && host.EndsWith(domain, StringComparison.OrdinalIgnoreCase);
        }
        return string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>An allow-list entry: a host name or IP literal, or <c>*.</c> and a domain.</summary>
    public static bool IsHostPattern(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > 253)
        {
            return false;
        }
        var host = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return Uri.CheckHostName(host) != UriHostNameType.Unknown && !host.Contains('*', StringComparison.Ordinal);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.FakeUpstream.Bedrock;

/// <summary>
/// Recomputes an AWS Signature Version 4 from the request as it arrived (method, raw path, query, the signed
/// headers, the body's SHA-256) with the secret of the access key it names, and compares: what real Bedrock
/// does before anything else. Written from the published algorithm, independently of the SDK the gateway signs
/// with, so a mistake on either side shows as a 403.
/// </summary>
internal static class SigV4Verifier
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>Null when the signature holds; else Bedrock's error name and message.</summary>
    public static (string Type, string Message)? Verify(HttpContext ctx, byte[] body, IReadOnlyDictionary<string, string> secrets,
        string service, DateTimeOffset now)
    {
        var request = ctx.Request;
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return ("MissingAuthenticationTokenException", "Missing Authentication Token");
        }
        var fields = authorization[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries)
            .Select(f => f.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("Credential", out var credential) || !fields.TryGetValue("SignedHeaders", out var signedHeaders)
            || !fields.TryGetValue("Signature", out var signature))
        {
            return ("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature.");
        }
        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return ("IncompleteSignatureException", "Credential is not accessKey/date/region/service/aws4_request.");
        }
        if (!secrets.TryGetValue(scope[0], out var secret))
        {
            return ("UnrecognizedClientException", "The security token included in the request is invalid.");
        }
        if (scope[3] != service)
        {
            return ("InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'.");
        }
        var amzDate = request.Headers["x-amz-date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var signedAt) || amzDate[..8] != scope[1])
        {
            return ("InvalidSignatureException", "X-Amz-Date is missing or does not match the credential scope.");
        }
        if ((now - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return ("InvalidSignatureException", "Signature expired: the request time is too far from the server's.");
        }
        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("x-amz-date"))
        {
            return ("InvalidSignatureException", "SignedHeaders must include host and x-amz-date.");
        }
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        if (request.Headers.TryGetValue("x-amz-content-sha256", out var claimed) && claimed.ToString() != bodyHash)
        {
            return ("InvalidSignatureException", "The provided x-amz-content-sha256 header does not match what was computed.");
        }

        var canonical = new StringBuilder();
        canonical.Append(request.Method).Append('\n');
        canonical.Append(CanonicalPath(ctx)).Append('\n');
        canonical.Append(CanonicalQuery(request.QueryString.Value)).Append('\n');
        foreach (var name in names)
        {
            var value = name == "host" ? request.Host.Value : string.Join(',', request.Headers[name].Select(v => v?.Trim()));
            canonical.Append(name).Append(':').Append(value).Append('\n');
        }
        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(bodyHash);

        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope[1]}/{scope[2]}/{scope[3]}/aws4_request\n"
            + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secret), scope[1]);
        key = Hmac(key, scope[2]);
        key = Hmac(key, scope[3]);
        key = Hmac(key, "aws4_request");
        var expected = Convert.ToHexStringLower(Hmac(key, stringToSign));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : ("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. The Canonical String for this request should have been\n'" + canonical + "'");
    }

    /// <summary>
    /// The raw path as sent, each segment URI-encoded once more: for every service but S3, SigV4 signs the
    /// encoded path encoded again (a model id's ':' is sent as %3A and signed as %253A).
    /// </summary>
    private static string CanonicalPath(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?');
        if (query >= 0)
        {
            raw = raw[..query];
        }
        return string.Join('/', raw.Split('/').Select(Encode));
    }

    private static string CanonicalQuery(string? query)
    {
        if (string.IsNullOrEmpty(query) || query == "?")
        {
            return "";
        }
        return string.Join('&', query.TrimStart('?').Split('&')
            .Select(p => p.Split('=', 2))
            .Select(p => (Name: Encode(Uri.UnescapeDataString(p[0])), Value: Encode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>RFC 3986 encoding, unreserved characters kept, as SigV4 defines it.</summary>
    private static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}

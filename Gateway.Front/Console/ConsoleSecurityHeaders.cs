namespace Gateway.Front.Console;

/// <summary>
/// The headers every console response carries. The page talks only to its own origin (the admin API) and loads only
/// its own files, so the Content-Security-Policy allows <c>'self'</c> and nothing else: no inline script or style, no
/// eval, no third-party host, no framing (a page holding the admin token must not be clickjacked).
/// </summary>
internal static class ConsoleSecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        // Revalidated on every load (ETag), so a new gateway version's scripts are never mixed with old ones.
        headers.CacheControl = "no-cache";
    }
}

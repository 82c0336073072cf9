using Microsoft.AspNetCore.Routing.Patterns;

namespace Gateway.Front.Paths;

/// <summary>
/// What makes an API path canonical, checked on the request target exactly as the client sent it.
/// Kestrel decodes percent-escapes and removes dot segments before routing, and routing ignores case,
/// so <c>/v1/./messages</c>, <c>/v1/a/../messages</c> and <c>/V1/Messages</c> would all reach the
/// Messages endpoint while <c>/v1//messages</c> and <c>/v1/messages%2F</c> would miss it and fall
/// through to the pass-through route; none of them is a path Anthropic's API has. Allocation-free.
/// </summary>
public static class CanonicalPath
{
    public const string ApiRoot = "/v1";

    /// <summary>Longest part of a path quoted back in an error message (the rest is cut).</summary>
    public const int MaxQuotedLength = 200;

    /// <summary>Whether a path (decoded or raw, no query) is under <c>/v1</c>, in any case (<c>/v1\</c> too: some servers read it as <c>/</c>).</summary>
    public static bool IsApi(ReadOnlySpan<char> path) =>
        path.StartsWith(ApiRoot, StringComparison.OrdinalIgnoreCase)
        && (path.Length == ApiRoot.Length || path[ApiRoot.Length] is '/' or '\\');

    /// <summary>The path part of a raw request target (everything before <c>?</c>).</summary>
    public static ReadOnlySpan<char> PathOf(ReadOnlySpan<char> rawTarget)
    {
        var query = rawTarget.IndexOf('?');
        return query < 0 ? rawTarget : rawTarget[..query];
    }

    /// <summary>
    /// Why <paramref name="rawPath"/> is not canonical, or null when it is: origin form (starts with
    /// <c>/</c>), no backslash, no percent-escape (an encoded <c>/</c> or <c>\</c> above all), no empty
    /// segment (<c>//</c> or a trailing <c>/</c>), no <c>.</c> or <c>..</c> segment, and equal to the
    /// path the server decoded (<paramref name="decodedPath"/>), so nothing was normalised on the way.
    /// </summary>
    public static string? Problem(ReadOnlySpan<char> rawPath, ReadOnlySpan<char> decodedPath)
    {
        if (rawPath.IsEmpty || rawPath[0] != '/')
        {
            return "the request target must be a path starting with '/'";
        }
        if (rawPath.Contains('\\'))
        {
            return "backslashes are not allowed in paths";
        }
        if (rawPath.Contains('%'))
        {
            return "percent-encoded characters (such as %2F) are not allowed in paths";
        }
        var rest = rawPath[1..];
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.IsEmpty)
            {
                return "empty path segments ('//' or a trailing '/') are not allowed";
            }
            if (segment is "." or "..")
            {
                return "'.' and '..' path segments are not allowed";
            }
            if (slash < 0)
            {
                break;
            }
            rest = rest[(slash + 1)..];
        }
        if (!rawPath.SequenceEqual(decodedPath))
        {
            return "the path is not in canonical form";
        }
        return null;
    }

    /// <summary>
    /// Whether the literal segments of a route template (e.g. <c>/v1/messages/{id}</c>) appear in
    /// <paramref name="rawPath"/> with the exact case of the template: routing matched them ignoring case.
    /// Parameter segments are not compared; a catch-all ends the comparison.
    /// </summary>
    public static bool LiteralsMatchCase(RoutePattern pattern, ReadOnlySpan<char> rawPath)
    {
        var rest = rawPath.Length > 0 && rawPath[0] == '/' ? rawPath[1..] : rawPath;
        var segments = pattern.PathSegments;
        for (var i = 0; i < segments.Count; i++)
        {
            var slash = rest.IndexOf('/');
            var raw = slash < 0 ? rest : rest[..slash];
            var parts = segments[i].Parts;
            if (parts.Count == 1 && parts[0] is RoutePatternLiteralPart literal)
            {
                if (!raw.SequenceEqual(literal.Content))
                {
                    return false;
                }
            }
            else if (HasCatchAll(parts))
            {
                return true;
            }
            if (slash < 0)
            {
                return true;
            }
            rest = rest[(slash + 1)..];
        }
        return true;
    }

    private static bool HasCatchAll(IReadOnlyList<RoutePatternPart> parts)
    {
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is RoutePatternParameterPart { IsCatchAll: true })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A path fit to quote in an error message: cut to <see cref="MaxQuotedLength"/> characters.</summary>
    public static string Quote(ReadOnlySpan<char> path) =>
        path.Length <= MaxQuotedLength ? path.ToString() : string.Concat(path[..MaxQuotedLength], "…");
}

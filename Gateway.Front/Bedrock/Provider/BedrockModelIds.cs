using System.Buffers;
using System.Collections.Frozen;

namespace Gateway.Front.Bedrock.Provider;

/// <summary>
/// Anthropic model names and Bedrock model ids, both ways. A provider's own table (<c>Upstream:Providers:N:Models</c>)
/// comes first, then the defaults below, with the provider's cross-region inference profile prefix (<c>us.</c>,
/// <c>eu.</c>, <c>apac.</c>, <c>global.</c>) put in front, since Bedrock serves the current models on demand only
/// through a profile. An id already in Bedrock's form passes unchanged. The model string is the client's: it is
/// checked against Bedrock's id alphabet before it goes into a URL path, and escaped there.
/// </summary>
public static class BedrockModelIds
{
    /// <summary>Anthropic's names (aliases and dated ids) and the Bedrock base id each is served as.</summary>
    public static readonly FrozenDictionary<string, string> Defaults = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["claude-opus-4-5"] = "anthropic.claude-opus-4-5-20251101-v1:0",
        ["claude-opus-4-5-20251101"] = "anthropic.claude-opus-4-5-20251101-v1:0",
        ["claude-opus-4-1"] = "anthropic.claude-opus-4-1-20250805-v1:0",
        ["claude-opus-4-1-20250805"] = "anthropic.claude-opus-4-1-20250805-v1:0",
        ["claude-opus-4-0"] = "anthropic.claude-opus-4-20250514-v1:0",
        ["claude-opus-4-20250514"] = "anthropic.claude-opus-4-20250514-v1:0",
        ["claude-sonnet-4-5"] = "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ["claude-sonnet-4-5-20250929"] = "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ["claude-sonnet-4-0"] = "anthropic.claude-sonnet-4-20250514-v1:0",
        ["claude-sonnet-4-20250514"] = "anthropic.claude-sonnet-4-20250514-v1:0",
        ["claude-3-7-sonnet-latest"] = "anthropic.claude-3-7-sonnet-20250219-v1:0",
        ["claude-3-7-sonnet-20250219"] = "anthropic.claude-3-7-sonnet-20250219-v1:0",
        ["claude-haiku-4-5"] = "anthropic.claude-haiku-4-5-20251001-v1:0",
        ["claude-haiku-4-5-20251001"] = "anthropic.claude-haiku-4-5-20251001-v1:0",
        ["claude-3-5-haiku-latest"] = "anthropic.claude-3-5-haiku-20241022-v1:0",
        ["claude-3-5-haiku-20241022"] = "anthropic.claude-3-5-haiku-20241022-v1:0",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The geography prefixes of Bedrock's cross-region inference profiles.</summary>
    private static readonly string[] ProfilePrefixes = ["us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."];

    /// <summary>Longest id accepted (an inference-profile ARN is about 100 characters).</summary>
    public const int MaxLength = 256;

    /// <summary>Bedrock's model-id and ARN alphabet; anything else is refused before it reaches a URL.</summary>
    private static readonly SearchValues<char> IdCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/");

    /// <summary>
    /// The profile prefix for a region when none is configured: <c>us</c> for <c>us-*</c>, <c>eu</c> for <c>eu-*</c>,
    /// <c>apac</c> for <c>ap-*</c>; other regions get base ids.
    /// </summary>
    public static string? DefaultProfile(string region) =>
        region.StartsWith("us-gov-", StringComparison.Ordinal) ? "us-gov"
        : region.StartsWith("us-", StringComparison.Ordinal) ? "us"
        : region.StartsWith("eu-", StringComparison.Ordinal) ? "eu"
        : region.StartsWith("ap-", StringComparison.Ordinal) ? "apac"
        : null;

    /// <summary>
    /// The Bedrock id for <paramref name="model"/>: the provider's table, else a default with the profile prefix
    /// (null or empty: none), else the model itself when it is already a Bedrock id or ARN. Null: not servable.
    /// </summary>
    public static string? ToBedrock(string model, IReadOnlyDictionary<string, string> table, string? profile)
    {
        if (table.TryGetValue(model, out var mapped))
        {
            return IsValidId(mapped) ? mapped : null;
        }
        if (Defaults.TryGetValue(model, out var baseId))
        {
            return string.IsNullOrEmpty(profile) ? baseId : profile + "." + baseId;
        }
        return IsBedrockForm(model) ? model : null;
    }

    /// <summary>
    /// The gateway's model name for a Bedrock id a client sent (Bedrock ingress): the provider tables' reverse,
    /// else the id without its profile prefix, <c>anthropic.</c> and version suffix
    /// (<c>us.anthropic.claude-sonnet-4-5-20250929-v1:0</c> → <c>claude-sonnet-4-5-20250929</c>); an id that is
    /// not in Bedrock's form is taken as a gateway model name as it is.
    /// </summary>
    public static string FromBedrock(string id, IEnumerable<IReadOnlyDictionary<string, string>> tables)
    {
        foreach (var table in tables)
        {
            foreach (var (name, mapped) in table)
            {
                if (mapped.Equals(id, StringComparison.Ordinal))
                {
                    return name;
                }
            }
        }
        var rest = StripProfile(id);
        if (!rest.StartsWith("anthropic.", StringComparison.Ordinal))
        {
            return id;
        }
        rest = rest["anthropic.".Length..];
        var version = rest.LastIndexOf("-v", StringComparison.Ordinal);
        if (version > 0 && IsVersionSuffix(rest.AsSpan(version + 2)))
        {
            rest = rest[..version];
        }
        return rest.Length > 0 ? rest : id;
    }

    /// <summary>An id Bedrock would recognise: <c>[profile.]anthropic.…</c> or an ARN, in Bedrock's alphabet.</summary>
    public static bool IsBedrockForm(string model) =>
        IsValidId(model)
        && (StripProfile(model).StartsWith("anthropic.", StringComparison.Ordinal) || model.StartsWith("arn:", StringComparison.Ordinal));

    public static bool IsValidId(string id) =>
        id.Length is > 0 and <= MaxLength && !id.AsSpan().ContainsAnyExcept(IdCharacters) && !id.Contains("..", StringComparison.Ordinal);

    /// <summary>The id as one URL path segment (<c>:</c> and <c>/</c> escaped, as the AWS SDKs send it).</summary>
    public static string PathSegment(string id) => Uri.EscapeDataString(id);

    private static string StripProfile(string id)
    {
        foreach (var prefix in ProfilePrefixes)
        {
            if (id.StartsWith(prefix, StringComparison.Ordinal))
            {
                return id[prefix.Length..];
            }
        }
        return id;
    }

    /// <summary><c>1</c>, <c>1:0</c>, <c>2:0</c>, …: a Bedrock id's version suffix after <c>-v</c>.</summary>
    private static bool IsVersionSuffix(ReadOnlySpan<char> suffix)
    {
        var colon = suffix.IndexOf(':');
        var major = colon < 0 ? suffix : suffix[..colon];
        return major.Length > 0 && !major.ContainsAnyExceptInRange('0', '9')
            && (colon < 0 || (suffix.Length > colon + 1 && !suffix[(colon + 1)..].ContainsAnyExceptInRange('0', '9')));
    }
}

using System.IO.Hashing;
using System.Text.Json;
using Gateway.Grains.Text;

namespace Gateway.Front.Envelope;

/// <summary>
/// Reads the top-level <c>model</c>, <c>stream</c>, <c>max_tokens</c> and <c>metadata.user_id</c>
/// with one forward <see cref="Utf8JsonReader"/> pass. The pass also validates the whole document,
/// so malformed JSON is rejected here with a clear 400 instead of reaching the upstream.
/// <para>
/// <c>model</c> is the client's string that reaches the price table, the metric labels and Postgres, so
/// it must be 1..<see cref="BoundedText.MaxModelLength"/> printable characters. A second top-level
/// <c>model</c>, <c>stream</c> or <c>max_tokens</c> is refused: parsers disagree on which occurrence
/// wins, and the alias rewrite or the upstream could act on another one than the one admitted and priced.
/// </para>
/// </summary>
public static class EnvelopeReader
{
    /// <summary>Nesting allowed in a request; real requests stay far below it, hostile ones do not.</summary>
    public const int MaxDepth = 128;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Longest JSON form of an acceptable model: every character escaped as <c>\uXXXX</c>.</summary>
    private const int MaxModelJsonBytes = BoundedText.MaxModelLength * 6;

    public static readonly string ModelRuleError =
        $"model: must be 1 to {BoundedText.MaxModelLength} printable characters (no control characters, NUL or lone surrogates)";

    public static bool TryRead(ReadOnlySpan<byte> json, string? sessionHeader, out RequestEnvelope envelope, out string error)
    {
        var skipped = default(SkippedPromptSections);
        return TryRead(json, sessionHeader, ref skipped, out envelope, out error);
    }

    /// <summary>
    /// The same pass, with <paramref name="sections"/> reading the prompt sections (tools, system, messages, the
    /// top-level cache_control) as the pass reaches them instead of the pass skipping them: one walk of the body
    /// serves the envelope and the cache-breakpoint plan. The answer is the same as without it, whatever the body.
    /// </summary>
    public static bool TryRead<TSections>(ReadOnlySpan<byte> json, string? sessionHeader, ref TSections sections, out RequestEnvelope envelope, out string error)
        where TSections : struct, IPromptSections
    {
        try
        {
            return TryReadOnce(json, sessionHeader, ref sections, out envelope, out error);
        }
        catch (PromptSectionsException)
        {
            // Valid JSON the section reader cannot take (a lone surrogate escape where it compares a name or value):
            // judge the body as the plain pass does, and leave the sections out (the planner then plans nothing).
            sections.Abandon();
            var skipped = default(SkippedPromptSections);
            return TryReadOnce(json, sessionHeader, ref skipped, out envelope, out error);
        }
    }

    private static bool TryReadOnce<TSections>(ReadOnlySpan<byte> json, string? sessionHeader, ref TSections sections, out RequestEnvelope envelope, out string error)
        where TSections : struct, IPromptSections
    {
        envelope = null!;
        // The reader checks UTF-8 only in strings it decodes; a vectorised pass covers the rest.
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            error = "The request body is not valid UTF-8.";
            return false;
        }
        string? model = null;
        string? userId = null;
        long? maxTokens = null;
        var prefix = new XxHash64();
        var hasPrefix = false;
        var stream = false;
        bool seenModel = false, seenStream = false, seenMaxTokens = false;
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (NameIs(ref reader, "model"u8))
                {
                    if (!FirstTime(ref seenModel, "model", out error))
                    {
                        return false;
                    }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = "model: Input should be a valid string";
                        return false;
                    }
                    // Length checked on the raw bytes first: a 100 KB model is refused without decoding it.
                    var raw = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                    if (raw > MaxModelJsonBytes)
                    {
                        error = ModelRuleError;
                        return false;
                    }
                    // A lone surrogate escape ("\ud800") decodes to no string: the same rule, named. An empty
                    // model is left to the "Field required" answer below.
                    model = TryGetString(ref reader);
                    if (model is null || (model.Length > 0 && !BoundedText.IsModelName(model)))
                    {
                        error = ModelRuleError;
                        return false;
                    }
                }
                else if (NameIs(ref reader, "stream"u8))
                {
                    if (!FirstTime(ref seenStream, "stream", out error))
                    {
                        return false;
                    }
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        error = "stream: Input should be a valid boolean";
                        return false;
                    }
                    stream = reader.GetBoolean();
                }
                else if (NameIs(ref reader, "max_tokens"u8))
                {
                    if (!FirstTime(ref seenMaxTokens, "max_tokens", out error))
                    {
                        return false;
                    }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var max))
                    {
                        error = "max_tokens: Input should be a valid integer";
                        return false;
                    }
                    // The API refuses it too; refused here it costs no admission, upstream call or audit row.
                    if (max < 1)
                    {
                        error = "max_tokens: Input should be greater than or equal to 1";
                        return false;
                    }
                    maxTokens = max;
                }
                else if (NameIs(ref reader, "metadata"u8))
                {
                    reader.Read();
                    userId = ReadUserId(ref reader);
                }
                else if (SectionOf(ref reader) is { } section)
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    sections.Read(section, ref reader);
                    if (section is PromptSection.Tools or PromptSection.System)
                    {
                        // The stable prefix: hashed as raw bytes once passed, no copy.
                        prefix.Append(json[start..(int)reader.BytesConsumed]);
                        hasPrefix = true;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // Trailing bytes after the object would be silently ignored by some parsers and not by others.
            if (reader.Read())
            {
                error = "The request body has content after the JSON object.";
                return false;
            }
        }
        catch (JsonException e)
        {
            error = $"The request body is not valid JSON: {TrimPosition(e.Message)}";
            return false;
        }
        catch (InvalidOperationException e)
        {
            // GetString on a lone surrogate escape ("\ud800"): valid JSON syntax, but no string. Uncaught,
            // it escaped the endpoint as a 500 without Anthropic's error shape (found by the envelope fuzz).
            error = $"The request body is not valid JSON: {TrimPosition(e.Message)}";
            return false;
        }

        if (string.IsNullOrEmpty(model))
        {
            error = "model: Field required";
            return false;
        }

        var sessionId = SessionIds.Normalize(!string.IsNullOrWhiteSpace(sessionHeader) ? sessionHeader : SessionIdFromUserId(userId));
        envelope = new RequestEnvelope(model, stream, maxTokens, userId, sessionId, json.Length)
        {
            PromptPrefixHash = hasPrefix ? Convert.ToHexStringLower(prefix.GetCurrentHash()) : null,
            CacheBreakpoints = CountOccurrences(json, "\"cache_control\""u8),
        };
        error = "";
        return true;
    }

    /// <summary>The prompt section a top-level property name (the reader's current token) names, if any.</summary>
    internal static PromptSection? SectionOf(ref Utf8JsonReader reader) =>
        NameIs(ref reader, "messages"u8) ? PromptSection.Messages
        : NameIs(ref reader, "tools"u8) ? PromptSection.Tools
        : NameIs(ref reader, "system"u8) ? PromptSection.System
        : NameIs(ref reader, "cache_control"u8) ? PromptSection.CacheControl
        : null;

    private static bool FirstTime(ref bool seen, string field, out string error)
    {
        if (seen)
        {
            error = $"{field}: appears more than once at the top level of the request body";
            return false;
        }
        seen = true;
        error = "";
        return true;
    }

    private static int CountOccurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var count = 0;
        int at;
        while ((at = haystack.IndexOf(needle)) >= 0)
        {
            count++;
            haystack = haystack[(at + needle.Length)..];
        }
        return count;
    }

    private static string? ReadUserId(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }
        string? userId = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUserId = NameIs(ref reader, "user_id"u8);
            reader.Read();
            if (isUserId && reader.TokenType == JsonTokenType.String)
            {
                // user_id is the client's free text, passed upstream as is: one that is no string
                // (a lone surrogate escape) names no session rather than failing the request.
                userId = TryGetString(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
        return userId;
    }

    /// <summary>
    /// Claude Code puts its session in <c>metadata.user_id</c>: newer versions as a JSON string
    /// (<c>{"device_id":…,"session_id":…}</c>), older ones as <c>user_…_account_…_session_&lt;uuid&gt;</c>.
    /// </summary>
    public static string? SessionIdFromUserId(string? userId)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return null;
        }
        if (userId.StartsWith('{'))
        {
            try
            {
                var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(userId));
                if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isSession = reader.ValueTextEquals("session_id"u8);
                        reader.Read();
                        if (isSession && reader.TokenType == JsonTokenType.String)
                        {
                            return NullIfEmpty(reader.GetString());
                        }
                        reader.Skip();
                    }
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Not ours to reject: user_id is the client's free text.
            }
            return null;
        }
        const string marker = "_session_";
        var at = userId.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 ? NullIfEmpty(userId[(at + marker.Length)..]) : null;
    }

    /// <summary>
    /// A name holding a lone surrogate escape ("\ud800") cannot be compared (ValueTextEquals throws): it is
    /// no name the gateway reads, so it is skipped like any unknown field.
    /// </summary>
    private static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // System.Text.Json messages end with "Path: $ | LineNumber: 0 | BytePositionInLine: 12." — useful, keep it.
    private static string TrimPosition(string message) => message.Length > 300 ? message[..300] : message;
}

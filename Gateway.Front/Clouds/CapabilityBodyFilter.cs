using System.Text.Json;
using Gateway.Front.Metrics;

namespace Gateway.Front.Clouds;

/// <summary>
/// Drops from a Messages body what a provider refuses (<see cref="ProviderCapabilities.DroppedFields"/> at the top
/// level, <see cref="ProviderCapabilities.DroppedCacheControlMembers"/> inside every <c>cache_control</c>) by cutting
/// their byte ranges out of the client's bytes: everything else, thinking blocks and their signatures included,
/// stays byte for byte. A body with nothing to drop is not copied (a substring check first, then one reader pass).
/// </summary>
public static class CapabilityBodyFilter
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    /// <summary>The filtered body, or null when nothing needed dropping (or the body is not a JSON object: it goes as it came).</summary>
    public static byte[]? Apply(ReadOnlySpan<byte> body, ProviderCapabilities capabilities, string provider)
    {
        if (!capabilities.FiltersBody || !MayContain(body, capabilities))
        {
            return null;
        }
        var cuts = new List<(int Start, int End)>();
        var dropped = new List<(string What, string Name)>();
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            var top = new List<Member>();
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }
                if (reader.CurrentDepth == 1)
                {
                    var start = (int)reader.TokenStartIndex;
                    if (Matches(ref reader, capabilities.DroppedFields) is { } field)
                    {
                        reader.Read();
                        reader.Skip();
                        top.Add(new Member(start, (int)reader.BytesConsumed, Drop: true));
                        dropped.Add(("field", field));
                        continue;
                    }
                    top.Add(new Member(start, -1, Drop: false));
                }
                if (capabilities.DroppedCacheControlMembers.Count > 0 && reader.ValueTextEquals("cache_control"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        CacheControl(ref reader, body, capabilities, cuts, dropped);
                    }
                }
            }
            Cut(body, top, cuts);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not a body this pass can read (a lone surrogate in a name, say): it goes as it came.
            return null;
        }
        if (cuts.Count == 0)
        {
            return null;
        }
        foreach (var (what, name) in dropped)
        {
            FrontMetrics.CapabilityDropped(provider, what, name);
        }
        return Splice(body, cuts);
    }

    /// <summary>Reads one <c>cache_control</c> object (the reader on its start) and cuts the refused members.</summary>
    private static void CacheControl(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, ProviderCapabilities capabilities,
        List<(int, int)> cuts, List<(string, string)> dropped)
    {
        var members = new List<Member>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex;
            var name = Matches(ref reader, capabilities.DroppedCacheControlMembers);
            reader.Read();
            reader.Skip();
            members.Add(new Member(start, (int)reader.BytesConsumed, name is not null));
            if (name is not null)
            {
                dropped.Add(("cache_control", name));
            }
        }
        Cut(body, members, cuts);
    }

    /// <summary>
    /// The ranges that remove an object's dropped members with their commas: a later member from the comma before
    /// it; the first from its start up to the next kept member (or its own end when none is kept).
    /// </summary>
    private static void Cut(ReadOnlySpan<byte> body, List<Member> members, List<(int, int)> cuts)
    {
        for (var i = 0; i < members.Count; i++)
        {
            var m = members[i];
            if (!m.Drop)
            {
                continue;
            }
            if (i > 0)
            {
                var comma = m.Start - 1;
                while (comma > 0 && body[comma] != (byte)',')
                {
                    comma--;
                }
                cuts.Add((comma, m.End));
                continue;
            }
            var next = members.FindIndex(1, x => !x.Drop);
            cuts.Add((m.Start, next < 0 ? m.End : members[next].Start));
        }
    }

    private static byte[] Splice(ReadOnlySpan<byte> body, List<(int Start, int End)> cuts)
    {
        cuts.Sort();
        // Merge overlapping ranges first, so the output is allocated once at its exact length.
        var merged = new List<(int Start, int End)>(cuts.Count);
        foreach (var (start, end) in cuts)
        {
            if (merged.Count > 0 && start <= merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, end));
            }
            else
            {
                merged.Add((start, end));
            }
        }
        var removed = 0;
        foreach (var (start, end) in merged)
        {
            removed += end - start;
        }
        var output = new byte[body.Length - removed];
        var written = 0;
        var at = 0;
        foreach (var (start, end) in merged)
        {
            body[at..start].CopyTo(output.AsSpan(written));
            written += start - at;
            at = end;
        }
        body[at..].CopyTo(output.AsSpan(written));
        return output;
    }

    private static string? Matches(ref Utf8JsonReader reader, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            if (reader.ValueTextEquals(name))
            {
                return name;
            }
        }
        return null;
    }

    /// <summary>
    /// A cheap first look: none of the names appears in the bytes (unescaped) means nothing to drop. A name spelt with
    /// escapes (<c>"sc\u006fpe"</c>) is still found by the reader pass, which runs whenever a backslash-u appears.
    /// </summary>
    private static bool MayContain(ReadOnlySpan<byte> body, ProviderCapabilities capabilities)
    {
        if (body.IndexOf("\\u"u8) >= 0)
        {
            return true;
        }
        foreach (var field in capabilities.DroppedFieldBytes)
        {
            if (body.IndexOf(field) >= 0)
            {
                return true;
            }
        }
        if (body.IndexOf("cache_control"u8) < 0)
        {
            return false;
        }
        foreach (var member in capabilities.DroppedCacheControlBytes)
        {
            if (body.IndexOf(member) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    private readonly record struct Member(int Start, int End, bool Drop);
}

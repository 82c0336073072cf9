using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Gateway.Front.Clouds;

/// <summary>
/// Rewrites a Messages body for a cloud provider (Bedrock, Vertex), which takes the model in the URL and the
/// API version and betas in the body: drops the top-level <c>model</c> (and <c>stream</c> when the provider
/// chooses streaming by path), sets <c>anthropic_version</c>, and optionally moves the client's
/// <c>anthropic-beta</c> header values into the body's <c>anthropic_beta</c> array, merged with any already
/// there, first occurrence kept, duplicates dropped.
/// <para>
/// One <see cref="Utf8JsonReader"/> pass over the top level only: every other member's value is copied as its
/// raw bytes (<see cref="Utf8JsonWriter.WriteRawValue(ReadOnlySpan{byte}, bool)"/>), so fields this gateway does
/// not know (<c>thinking</c>, <c>context_management</c>, new block types) reach the provider byte for byte.
/// The body has passed the envelope reader (valid UTF-8 JSON object) before it gets here.
/// </para>
/// </summary>
public static class CloudRequestBody
{
    /// <summary>Most betas a request may name (header and body together); a real request names about ten.</summary>
    public const int MaxBetas = Envelope.IngressBody.MaxBetas;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        SkipValidation = true,
        // Property names and beta strings go through the encoder; the relaxed one leaves ordinary names alone.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Writes the rewritten body to <paramref name="output"/>. False, with an Anthropic-style message, when the
    /// body is not a JSON object, its <c>anthropic_beta</c> is not an array of strings, or it names more than
    /// <see cref="MaxBetas"/> betas.
    /// </summary>
    public static bool TryWrite(
        ReadOnlySpan<byte> body,
        in CloudBodySettings settings,
        StringValues betaHeader,
        IBufferWriter<byte> output,
        out string? error)
    {
        error = null;
        List<string>? betas = null;
        if (settings.MoveBetas && !AddHeaderBetas(betaHeader, ref betas, out error))
        {
            return false;
        }

        using var writer = new Utf8JsonWriter(output, WriterOptions);
        var reader = new Utf8JsonReader(body, ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object.";
                return false;
            }
            writer.WriteStartObject();
            writer.WriteString("anthropic_version"u8, settings.AnthropicVersion);
            var bodyHadBetas = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // Names are compared unescaped ("mod\u0065l" is "model" too), so no spelling slips through.
                if (reader.ValueTextEquals("model"u8) || reader.ValueTextEquals("anthropic_version"u8)
                    || (settings.DropStream && reader.ValueTextEquals("stream"u8)))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (settings.MoveBetas && reader.ValueTextEquals("anthropic_beta"u8))
                {
                    reader.Read();
                    // Body betas come first: the client put them there on purpose; the header's follow.
                    var fromBody = new List<string>();
                    if (!ReadBetaArray(ref reader, fromBody, out error))
                    {
                        return false;
                    }
                    betas = Merge(fromBody, betas);
                    if (betas.Count > MaxBetas)
                    {
                        error = TooMany;
                        return false;
                    }
                    bodyHadBetas = true;
                    continue;
                }
                Envelope.RawMember.Copy(writer, ref reader, body);
            }
            if (betas is { Count: > 0 } || bodyHadBetas)
            {
                writer.WriteStartArray("anthropic_beta"u8);
                foreach (var beta in betas ?? [])
                {
                    writer.WriteStringValue(beta);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
            writer.Flush();
            return true;
        }
        catch (JsonException)
        {
            error = "The request body is not valid JSON.";
            return false;
        }
    }

    private const string TooMany = "anthropic_beta: at most 64 betas may be named";

    private static bool AddHeaderBetas(StringValues header, ref List<string>? betas, out string? error)
    {
        error = null;
        foreach (var value in header)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            foreach (var range in value.AsSpan().Split(','))
            {
                var beta = value.AsSpan()[range].Trim();
                if (beta.IsEmpty)
                {
                    continue;
                }
                betas ??= [];
                if (!Contains(betas, beta))
                {
                    if (betas.Count == MaxBetas)
                    {
                        error = TooMany;
                        return false;
                    }
                    betas.Add(beta.ToString());
                }
            }
        }
        return true;
    }

    private static bool ReadBetaArray(ref Utf8JsonReader reader, List<string> into, out string? error)
    {
        error = "anthropic_beta: Input should be a valid array of strings";
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
            var beta = reader.GetString()!;
            if (!Contains(into, beta))
            {
                if (into.Count == MaxBetas)
                {
                    error = TooMany;
                    return false;
                }
                into.Add(beta);
            }
        }
        error = null;
        return true;
    }

    private static List<string> Merge(List<string> first, List<string>? then)
    {
        foreach (var beta in then ?? [])
        {
            if (!Contains(first, beta))
            {
                first.Add(beta);
            }
        }
        return first;
    }

    private static bool Contains(List<string> betas, ReadOnlySpan<char> beta)
    {
        foreach (var known in betas)
        {
            if (beta.SequenceEqual(known))
            {
                return true;
            }
        }
        return false;
    }
}

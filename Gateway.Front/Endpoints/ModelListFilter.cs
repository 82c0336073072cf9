using System.Buffers;
using System.Text.Json;
using Gateway.Front.Streaming;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Narrows the upstream's <c>GET /v1/models</c> page to the models a key's <c>allowed_models</c>
/// permits, so a client (Claude Code's model picker) offers only what it may use. Every other field is
/// copied as it came, the paging cursors (<c>first_id</c>, <c>last_id</c>, <c>has_more</c>) included,
/// so paging through the upstream's list still works. The page is small (one JSON document of a few
/// KB), buffered whole; a body that is not the expected shape passes unchanged.
/// </summary>
internal sealed class ModelListFilter : WrappingContent
{
    private readonly IReadOnlyList<string> _allowed;

    private ModelListFilter(HttpContent inner, IReadOnlyList<string> allowed)
        : base(inner, static name => !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
    {
        _allowed = allowed;
    }

    public static Func<HttpContent, HttpContent> For(IReadOnlyList<string> allowed) => inner => new ModelListFilter(inner, allowed);

    // A whole-body rewrite: the same buffered stream the Chat translation uses.
    protected override Stream Wrap(Stream inner) => new TranslatingStream(inner, new BufferedBodyTranslator(Filter));

    private void Filter(ReadOnlyMemory<byte> body, IBufferWriter<byte> output)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                output.Write(body.Span);
                return;
            }
            using var writer = new Utf8JsonWriter(output);
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals("data"u8))
                {
                    property.WriteTo(writer);
                    continue;
                }
                writer.WriteStartArray("data");
                foreach (var model in property.Value.EnumerateArray())
                {
                    if (model.ValueKind == JsonValueKind.Object && model.TryGetProperty("id", out var id)
                        && id.ValueKind == JsonValueKind.String && ModelPattern.AnyMatches(_allowed, id.GetString()!))
                    {
                        model.WriteTo(writer);
                    }
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        catch (JsonException)
        {
            output.Write(body.Span);
        }
    }
}

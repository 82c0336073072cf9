using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Front.Batches;

/// <summary>What the gateway reads from a <c>message_batch</c> object: its id, status and end time.</summary>
public sealed record BatchState(string Id, string ProcessingStatus, DateTimeOffset? EndedAt, DateTimeOffset? CreatedAt)
{
    public bool HasEnded => ProcessingStatus == "ended";

    public static BatchState? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            string? id = null, status = null;
            DateTimeOffset? ended = null, created = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("id"u8) ? 1
                    : reader.ValueTextEquals("processing_status"u8) ? 2
                    : reader.ValueTextEquals("ended_at"u8) ? 3
                    : reader.ValueTextEquals("created_at"u8) ? 4 : 0;
                reader.Read();
                var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                switch (field)
                {
                    case 1: id = text; break;
                    case 2: status = text; break;
                    case 3: ended = Time(text); break;
                    case 4: created = Time(text); break;
                    default: reader.Skip(); break;
                }
            }
            return id is not null && status is not null ? new BatchState(id, status, ended, created) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}

/// <summary>
/// Points a batch object's <c>results_url</c> at the gateway: the SDKs download results from that URL,
/// and the upstream's address would take the client's gateway key to the upstream. Every other field is kept.
/// </summary>
public static class ResultsUrl
{
    public static JsonNode? Rewrite(JsonNode? batch, string gatewayBase)
    {
        if (batch is JsonObject obj && obj["id"] is JsonValue id && id.TryGetValue<string>(out var value)
            && obj["results_url"] is JsonValue url && url.TryGetValue<string>(out _))
        {
            obj["results_url"] = $"{gatewayBase}/v1/messages/batches/{value}/results";
        }
        return batch;
    }

    public static string GatewayBase(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";
}

using System.Buffers;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>The Message Batches API's objects as the real API writes them (<c>message_batch</c>, the list page, one results line).</summary>
internal static class BatchJson
{
    public static ReadOnlyMemory<byte> Batch(FakeBatch batch, DateTimeOffset now, string resultsBase)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            Write(json, batch, now, resultsBase);
        }
        return buffer.WrittenMemory;
    }

    public static ReadOnlyMemory<byte> Page(IReadOnlyList<FakeBatch> page, bool hasMore, DateTimeOffset now, string resultsBase)
    {
        var buffer = new ArrayBufferWriter<byte>(512 * (page.Count + 1));
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteStartArray("data"u8);
            foreach (var batch in page)
            {
                Write(json, batch, now, resultsBase);
            }
            json.WriteEndArray();
            json.WriteBoolean("has_more"u8, hasMore);
            WriteId(json, "first_id"u8, page.Count > 0 ? page[0].Id : null);
            WriteId(json, "last_id"u8, page.Count > 0 ? page[^1].Id : null);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    public static ReadOnlyMemory<byte> Deleted(string id)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, id);
            json.WriteString("type"u8, "message_batch_deleted"u8);
            json.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private static void Write(Utf8JsonWriter json, FakeBatch batch, DateTimeOffset now, string resultsBase)
    {
        var ended = batch.HasEnded(now);
        var canceled = batch.CancelInitiatedAt is not null;
        var count = batch.RequestCount;
        json.WriteStartObject();
        json.WriteString("id"u8, batch.Id);
        json.WriteString("type"u8, "message_batch"u8);
        json.WriteString("processing_status"u8, batch.Status(now));
        json.WriteStartObject("request_counts"u8);
        json.WriteNumber("processing"u8, ended ? 0 : count);
        json.WriteNumber("succeeded"u8, ended && !canceled ? batch.Succeeded : 0);
        json.WriteNumber("errored"u8, ended && !canceled ? count - batch.Succeeded : 0);
        json.WriteNumber("canceled"u8, ended && canceled ? count : 0);
        json.WriteNumber("expired"u8, 0);
        json.WriteEndObject();
        WriteTime(json, "ended_at"u8, ended ? batch.EndsAt : null);
        WriteTime(json, "created_at"u8, batch.CreatedAt);
        WriteTime(json, "expires_at"u8, batch.ExpiresAt);
        WriteTime(json, "cancel_initiated_at"u8, batch.CancelInitiatedAt);
        json.WriteNull("archived_at"u8);
        if (ended)
        {
            json.WriteString("results_url"u8, $"{resultsBase}/v1/messages/batches/{batch.Id}/results");
        }
        else
        {
            json.WriteNull("results_url"u8);
        }
        json.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTimeOffset? at)
    {
        if (at is { } value)
        {
            json.WriteString(name, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteId(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? id)
    {
        if (id is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, id);
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Batches;

/// <summary>
/// Reads a batch's results (JSONL, one result per line) as they download, keeping only what billing
/// needs from each line: custom id, result type, model and usage. A line is bounded; its message
/// content is skipped, however deeply nested.
/// </summary>
public static class BatchResultReader
{
    // A Message's content (tool inputs) may nest deeper than a request envelope may.
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 4096 };

    public static async Task<List<BatchResult>> ReadAllAsync(Stream stream, int maxLineBytes, CancellationToken cancellationToken)
    {
        var results = new List<BatchResult>();
        var reader = PipeReader.Create(stream);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    Add(results, buffer.Slice(0, end));
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }
                if (buffer.Length > maxLineBytes)
                {
                    throw new InvalidDataException($"A batch results line is longer than {maxLineBytes} bytes.");
                }
                if (read.IsCompleted)
                {
                    Add(results, buffer);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
        return results;
    }

    private static void Add(List<BatchResult> results, ReadOnlySequence<byte> line)
    {
        var trimmed = line;
        if (trimmed.IsEmpty || (trimmed.Length == 1 && trimmed.FirstSpan[0] == (byte)'\r'))
        {
            return;
        }
        results.Add(Parse(trimmed));
    }

    public static BatchResult Parse(ReadOnlySequence<byte> line)
    {
        var reader = new Utf8JsonReader(line, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("A batch results line is not a JSON object.");
        }
        string? customId = null;
        var result = new Partial();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("custom_id"u8) ? 1 : reader.ValueTextEquals("result"u8) ? 2 : 0;
            reader.Read();
            if (field == 1 && reader.TokenType == JsonTokenType.String)
            {
                customId = reader.GetString();
            }
            else if (field == 2 && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadResult(ref reader, ref result);
            }
            else
            {
                reader.Skip();
            }
        }
        if (customId is null || result.Type is null)
        {
            throw new InvalidDataException("A batch results line has no custom_id or result.type.");
        }
        return new BatchResult
        {
            CustomId = customId,
            Type = result.Type,
            Model = result.Model,
            ErrorType = result.ErrorType,
            Tokens = new TokenUsage(result.Input, result.Output, result.CacheWrite, result.CacheRead),
        };
    }

    private struct Partial
    {
        public string? Type, Model, ErrorType;
        public long Input, Output, CacheWrite, CacheRead;
    }

    /// <summary><c>result</c>: its type, and the message's model and usage or the error's type.</summary>
    private static void ReadResult(ref Utf8JsonReader reader, ref Partial result)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("type"u8) ? 1 : reader.ValueTextEquals("message"u8) ? 2 : reader.ValueTextEquals("error"u8) ? 3 : 0;
            reader.Read();
            if (field == 1 && reader.TokenType == JsonTokenType.String)
            {
                result.Type = reader.GetString();
            }
            else if (field == 2 && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadMessage(ref reader, ref result);
            }
            else if (field == 3 && reader.TokenType == JsonTokenType.StartObject)
            {
                result.ErrorType = ReadErrorType(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, ref Partial result)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("model"u8) ? 1 : reader.ValueTextEquals("usage"u8) ? 2 : 0;
            reader.Read();
            if (field == 1 && reader.TokenType == JsonTokenType.String)
            {
                result.Model = reader.GetString();
            }
            else if (field == 2 && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var counter = reader.ValueTextEquals("input_tokens"u8) ? 1
                        : reader.ValueTextEquals("output_tokens"u8) ? 2
                        : reader.ValueTextEquals("cache_creation_input_tokens"u8) ? 3
                        : reader.ValueTextEquals("cache_read_input_tokens"u8) ? 4 : 0;
                    reader.Read();
                    if (counter != 0 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n >= 0)
                    {
                        switch (counter)
                        {
                            case 1: result.Input = n; break;
                            case 2: result.Output = n; break;
                            case 3: result.CacheWrite = n; break;
                            default: result.CacheRead = n; break;
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }

    /// <summary>An errored result's <c>error</c>: Anthropic nests the API error (<c>{"type":"error","error":{"type":...}}</c>).</summary>
    private static string? ReadErrorType(ref Utf8JsonReader reader)
    {
        string? outer = null, inner = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("type"u8) ? 1 : reader.ValueTextEquals("error"u8) ? 2 : 0;
            reader.Read();
            if (field == 1 && reader.TokenType == JsonTokenType.String)
            {
                outer = reader.GetString();
            }
            else if (field == 2 && reader.TokenType == JsonTokenType.StartObject)
            {
                inner = ReadErrorType(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
        return inner ?? outer;
    }
}

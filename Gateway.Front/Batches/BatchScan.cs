using System.Text.Json;
using Gateway.Front.Envelope;
using Gateway.Grains.Text;

namespace Gateway.Front.Batches;

/// <summary>
/// What creating a batch needs from its body, read in one <see cref="Utf8JsonReader"/> pass without
/// building objects (the original bytes are what is forwarded): the number of requests, and per model
/// (in order of first use) the params bytes and the <c>max_tokens</c> asked for, to check the allow-list
/// and price the worst case. Refuses what the upstream would refuse anyway and what must never reach
/// the books: a missing or duplicated <c>model</c>/<c>max_tokens</c>, an insane model string, a bad or
/// repeated <c>custom_id</c>, more requests than allowed.
/// </summary>
public sealed class BatchScan
{
    /// <summary>
    /// Largest <c>max_tokens</c> one request may ask for. No model produces anywhere near this many output
    /// tokens (the largest caps are in the low hundreds of thousands), and the bound keeps the worst-case sum
    /// (at most 100,000 requests × this) far inside a long: an unbounded value could wrap the sum negative
    /// and turn the budget hold into a credit.
    /// </summary>
    public const long MaxTokensPerRequest = 1_000_000;

    private readonly Dictionary<string, ModelDemand> _byModel = new(StringComparer.Ordinal);

    public int RequestCount { get; private set; }

    /// <summary>Each model once, in the order the requests first name it.</summary>
    public List<string> Models { get; } = [];

    public IReadOnlyDictionary<string, ModelDemand> Demand => _byModel;

    public static BatchScan? TryRead(ReadOnlySpan<byte> body, int maxRequests, out string error)
    {
        var scan = new BatchScan();
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = EnvelopeReader.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The request body must be a JSON object with a 'requests' array.";
                return null;
            }
            var sawRequests = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("requests"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (sawRequests)
                {
                    error = "The request body has more than one 'requests' key.";
                    return null;
                }
                sawRequests = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    error = "requests: Input should be a valid list.";
                    return null;
                }
                var customIds = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (scan.RequestCount == maxRequests)
                    {
                        error = $"requests: a batch may hold at most {maxRequests} requests.";
                        return null;
                    }
                    if (!scan.ReadRequest(ref reader, customIds, out error))
                    {
                        return null;
                    }
                    scan.RequestCount++;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "The request body is not a single JSON object.";
                return null;
            }
            if (scan.RequestCount == 0)
            {
                error = "requests: List should have at least 1 item.";
                return null;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            error = $"The request body is not valid JSON: {e.Message}";
            return null;
        }
        error = "";
        return scan;
    }

    /// <summary>One element of <c>requests</c>: <c>{"custom_id": ..., "params": {...}}</c>.</summary>
    private bool ReadRequest(ref Utf8JsonReader reader, HashSet<string> customIds, out string error)
    {
        var index = RequestCount;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = $"requests.{index}: Input should be an object.";
            return false;
        }
        string? customId = null;
        string? model = null;
        long maxTokens = 0;
        long paramsBytes = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("custom_id"u8))
            {
                if (customId is not null || !reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    error = $"requests.{index}.custom_id: must be one string.";
                    return false;
                }
                customId = reader.GetString()!;
                if (!CustomId.IsValid(customId))
                {
                    error = $"requests.{index}.custom_id: must match ^[a-zA-Z0-9_-]{{1,{CustomId.MaxLength}}}$.";
                    return false;
                }
                if (!customIds.Add(customId))
                {
                    error = $"requests.{index}.custom_id: '{customId}' is used twice; custom ids must be unique within a batch.";
                    return false;
                }
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                if (paramsBytes >= 0 || !reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    error = $"requests.{index}.params: must be one object.";
                    return false;
                }
                var start = reader.TokenStartIndex;
                if (!ReadParams(ref reader, index, out model, out maxTokens, out error))
                {
                    return false;
                }
                paramsBytes = reader.BytesConsumed - start;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (customId is null || paramsBytes < 0)
        {
            error = $"requests.{index}: custom_id and params are required.";
            return false;
        }
        // Checked here, once the custom_id is known whatever the key order, so the error can name the request.
        if (maxTokens > MaxTokensPerRequest)
        {
            error = $"requests.{index}.params.max_tokens: request '{customId}' asks for {maxTokens}; at most {MaxTokensPerRequest} is allowed.";
            return false;
        }
        _byModel.TryGetValue(model!, out var demand);
        try
        {
            // Bounded above already; checked anyway, since a wrapped sum would be a negative hold.
            _byModel[model!] = new ModelDemand(checked(demand.Requests + 1), checked(demand.ParamsBytes + paramsBytes), checked(demand.MaxTokens + maxTokens));
        }
        catch (OverflowException)
        {
            error = $"requests.{index}.params.max_tokens: request '{customId}' takes the batch's total max_tokens past what can be counted.";
            return false;
        }
        if (demand.Requests == 0)
        {
            Models.Add(model!);
        }
        error = "";
        return true;
    }

    /// <summary>The params object: exactly one string <c>model</c> and one positive integer <c>max_tokens</c>; the rest is skipped.</summary>
    private static bool ReadParams(ref Utf8JsonReader reader, int index, out string? model, out long maxTokens, out string error)
    {
        model = null;
        maxTokens = 0;
        var sawMaxTokens = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                if (model is not null)
                {
                    error = $"requests.{index}.params: 'model' appears more than once.";
                    return false;
                }
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    error = $"requests.{index}.params.model: Input should be a valid string.";
                    return false;
                }
                model = reader.GetString()!;
                if (!BoundedText.IsModelName(model))
                {
                    error = $"requests.{index}.params.model: must be 1 to {BoundedText.MaxModelLength} printable characters.";
                    return false;
                }
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                if (sawMaxTokens)
                {
                    error = $"requests.{index}.params: 'max_tokens' appears more than once.";
                    return false;
                }
                sawMaxTokens = true;
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out maxTokens) || maxTokens < 1)
                {
                    error = $"requests.{index}.params.max_tokens: Input should be a positive integer.";
                    return false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (model is null)
        {
            error = $"requests.{index}.params.model: Field required.";
            return false;
        }
        if (!sawMaxTokens)
        {
            error = $"requests.{index}.params.max_tokens: Field required.";
            return false;
        }
        error = "";
        return true;
    }
}

/// <summary>What a batch asks of one model: requests, params bytes (input estimate) and max_tokens summed.</summary>
public readonly record struct ModelDemand(long Requests, long ParamsBytes, long MaxTokens);

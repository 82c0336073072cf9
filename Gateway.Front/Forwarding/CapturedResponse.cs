using Gateway.Front.Admission;

namespace Gateway.Front.Forwarding;

/// <summary>
/// An upstream failure (5xx, 529) held back while a retry is tried. If no retry succeeds it is replayed
/// to the client exactly as received: clients such as Claude Code match on upstream error wording.
/// </summary>
internal sealed class CapturedResponse
{
    /// <summary>Error bodies are small; a larger one is cut rather than held in memory.</summary>
    private const int MaxBody = 64 * 1024;

    private CapturedResponse(int status, List<KeyValuePair<string, string[]>> headers, byte[] body)
    {
        Status = status;
        Headers = headers;
        Body = body;
    }

    public int Status { get; }
    public List<KeyValuePair<string, string[]>> Headers { get; }
    public byte[] Body { get; }

    public TimeSpan? RetryAfter
    {
        get
        {
            foreach (var (name, values) in Headers)
            {
                if (name.Equals("retry-after", StringComparison.OrdinalIgnoreCase)
                    && values.Length > 0 && double.TryParse(values[0], System.Globalization.CultureInfo.InvariantCulture, out var seconds))
                {
                    return TimeSpan.FromSeconds(seconds);
                }
            }
            return null;
        }
    }

    public static async Task<CapturedResponse> CaptureAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var headers = new List<KeyValuePair<string, string[]>>();
        foreach (var header in response.Headers)
        {
            headers.Add(new(header.Key, header.Value.ToArray()));
        }
        foreach (var header in response.Content.Headers)
        {
            if (!header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add(new(header.Key, header.Value.ToArray()));
            }
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxBody];
        var length = 0;
        int read;
        while (length < MaxBody && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }
        return new CapturedResponse((int)response.StatusCode, headers, buffer.AsSpan(0, length).ToArray());
    }

    /// <summary>The same failure with an OpenAI-compatible error body rewritten to Anthropic's shape (status and headers kept).</summary>
    public CapturedResponse TranslatedFromOpenAi()
    {
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        OpenAi.Provider.ChatToMessagesError.Translate(Status, Body, body);
        var headers = Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).ToList();
        headers.Add(new("Content-Type", ["application/json"]));
        if (!headers.Any(h => h.Key.Equals(Errors.GatewayError.RequestIdHeader, StringComparison.OrdinalIgnoreCase))
            && headers.FirstOrDefault(h => h.Key.Equals("x-request-id", StringComparison.OrdinalIgnoreCase)).Value is [var id, ..])
        {
            headers.Add(new(Errors.GatewayError.RequestIdHeader, [id]));
        }
        return new CapturedResponse(Status, headers, body.WrittenSpan.ToArray());
    }

    /// <summary>The same failure with a Google-shaped Vertex error body rewritten to Anthropic's shape (status and headers kept).</summary>
    public CapturedResponse TranslatedFromVertex()
    {
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        Clouds.VertexErrors.Translate(Status, Body, body);
        return new CapturedResponse(Status, Headers, body.WrittenSpan.ToArray());
    }

    /// <summary>The same failure with Bedrock's error body in Anthropic's shape (status already mapped, headers kept).</summary>
    public CapturedResponse TranslatedFromBedrock(string errorType)
    {
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        Bedrock.Provider.BedrockErrorBody.Translate(errorType, Body, body);
        var headers = Headers.Where(h => !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).ToList();
        headers.Add(new("Content-Type", ["application/json"]));
        if (!headers.Any(h => h.Key.Equals(Errors.GatewayError.RequestIdHeader, StringComparison.OrdinalIgnoreCase))
            && headers.FirstOrDefault(h => h.Key.Equals("x-amzn-RequestId", StringComparison.OrdinalIgnoreCase)).Value is [var id, ..])
        {
            headers.Add(new(Errors.GatewayError.RequestIdHeader, [id]));
        }
        return new CapturedResponse(Status, headers, body.WrittenSpan.ToArray());
    }

    public async Task ReplayAsync(HttpContext context)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = Status;
        foreach (var (name, values) in Headers)
        {
            if (!HopByHop.Contains(name))
            {
                response.Headers[name] = values;
            }
        }
        TenantResponseHeaders.ApplyTo(context);
        response.ContentLength = Body.Length;
        await response.Body.WriteAsync(Body, context.RequestAborted);
    }

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer",
    };
}

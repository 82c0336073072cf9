using System.Text.Json;
using Gateway.Front.Envelope;

namespace Gateway.Front.Admission;

/// <summary>
/// Whether a Messages body makes the upstream pull in input the body does not hold, so its size says
/// nothing about the input billed: a document or image by URL (<c>"source":{"type":"url",…}</c>) or by
/// uploaded file (<c>file_id</c>), MCP servers (<c>mcp_servers</c>), or a server tool that fetches or
/// runs things (<c>web_search_*</c>, <c>web_fetch_*</c>, <c>code_execution_*</c>). A few hundred bytes with
/// <c>max_tokens: 1</c> can then bill a whole context window; a budget's worst case must say so.
/// One forward pass over the already-validated body; run only for keys with a budget.
/// </summary>
public static class ExternalInputScan
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = EnvelopeReader.MaxDepth };

    public static bool PullsExternalInput(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            var afterType = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        if (reader.ValueTextEquals("file_id"u8) || reader.ValueTextEquals("mcp_servers"u8))
                        {
                            return true;
                        }
                        afterType = reader.ValueTextEquals("type"u8);
                        continue;
                    case JsonTokenType.String when afterType:
                        if (reader.ValueTextEquals("url"u8) || StartsWith(ref reader, "web_search"u8)
                            || StartsWith(ref reader, "web_fetch"u8) || StartsWith(ref reader, "code_execution"u8))
                        {
                            return true;
                        }
                        break;
                }
                afterType = false;
            }
            return false;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // A body the envelope reader accepted but this pass cannot read (a lone surrogate in a name): assume the worst.
            return true;
        }
    }

    private static bool StartsWith(ref Utf8JsonReader reader, ReadOnlySpan<byte> prefix) =>
        !reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.StartsWith(prefix);
}

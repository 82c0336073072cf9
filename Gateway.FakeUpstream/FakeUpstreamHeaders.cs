namespace Gateway.FakeUpstream;

/// <summary>Header names the fake reads or writes, in one place so tests and the server agree.</summary>
public static class FakeUpstreamHeaders
{
    /// <summary>Request header selecting a fault for this one request (forwarded by the gateway like any client header).</summary>
    public const string Fault = "x-fake-fault";

    /// <summary>Request header: milliseconds between two SSE events of this reply (overrides <see cref="FakeUpstreamOptions.EventDelayMs"/>).</summary>
    public const string EventIntervalMs = "x-fake-event-interval-ms";

    /// <summary>
    /// Request header: when present, each SSE event of this reply starts with a comment line
    /// <c>: sent-ns N</c>, N the fake's monotonic clock (Stopwatch) in ns when it wrote the event, so a
    /// benchmark on the same machine can tell how long each event took to reach it through a proxy.
    /// A Bedrock stream has no comments (its events are eventstream frames), so there the stamp travels as the
    /// event JSON's first member, <see cref="SentStampMember"/>, taken when the event's frame is written.
    /// </summary>
    public const string SendStamps = "x-fake-send-stamps";

    /// <summary>The first member of each event's JSON in a stamped Bedrock stream: <c>{"x_sent_ns":N,"type":…}</c>.</summary>
    public const string SentStampMember = "x_sent_ns";

    public const string RequestId = "request-id";
    public const string RetryAfter = "retry-after";
    public const string ApiKey = "x-api-key";
    public const string Authorization = "Authorization";

    /// <summary>Microsoft Foundry's key header (its Claude endpoint also takes x-api-key).</summary>
    public const string AzureApiKey = "api-key";
}

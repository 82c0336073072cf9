namespace Gateway.FakeUpstream;

/// <summary>
/// One request as the fake upstream saw it on the wire, captured before any fault applies so a test
/// can check exactly what the gateway forwarded (headers, query string, rewritten body).
/// </summary>
/// <param name="Headers">Case-insensitive keys; repeated headers joined with ", ".</param>
public sealed record RecordedRequest(
    string Method,
    string PathAndQuery,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    DateTimeOffset At);

namespace Gateway.FakeUpstream;

/// <summary>What a fault does to the response; timing (slow first byte) is kept apart in <see cref="FaultPlan"/>.</summary>
public enum FaultKind
{
    None,
    /// <summary>Answer with an Anthropic-shaped error at <see cref="FaultPlan.StatusCode"/> instead of the real reply.</summary>
    Status,
    /// <summary>Abort the connection before any response byte.</summary>
    Reset,
    /// <summary>Never answer until the client gives up (tests deadlines).</summary>
    Hang,
    /// <summary>Start a 200 reply, send a few events (or part of the JSON), then abort the connection.</summary>
    ResetMidStream,
    /// <summary>Start a 200 stream, send a few events, then an SSE <c>error</c> event and end cleanly.</summary>
    ErrorMidStream,
    /// <summary>Start a 200 reply, send a few events (or part of the JSON), then go silent until the client gives up.</summary>
    StallMidStream,
}

namespace Gateway.FakeUpstream;

/// <summary>A request that got past recording, early faults and authentication.</summary>
/// <param name="Key">The authenticated key (null on endpoints that do not authenticate).</param>
/// <param name="Fault">A fault still to apply while answering (mid-stream kinds), or none.</param>
internal sealed record AdmittedRequest(byte[] Body, string? Key, FaultPlan Fault, DateTimeOffset At);

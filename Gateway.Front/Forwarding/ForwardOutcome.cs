using Gateway.Front.Streaming;

namespace Gateway.Front.Forwarding;

/// <summary>
/// What forwarding did, for whoever records the request afterwards (settlement, metrics, the audit row):
/// the provider and pooled key of the last attempt, how many attempts were sent, and the usage the tap read
/// from the delivered response (null when no response body was tapped).
/// </summary>
public readonly record struct ForwardOutcome(string Provider, string? UpstreamKeyId, int Attempts, ObservedUsage? Usage, long StartTimestamp);

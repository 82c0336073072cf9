using Gateway.Front.Streaming;

namespace Gateway.Front.Forwarding;

/// <summary>
/// What the transformer made of one attempt's response, handed to the retry loop in one value: the
/// upstream status, and either the failure it held back for a retry (the client has seen nothing) or
/// the tap it put on the body it let through. Default: no response arrived.
/// </summary>
internal readonly record struct UpstreamAnswer(int Status, CapturedResponse? Held, IResponseTap? Tap);

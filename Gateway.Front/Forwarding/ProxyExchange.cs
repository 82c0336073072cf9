using System.Diagnostics;
using Gateway.Front.Envelope;
using Gateway.Front.Streaming;

namespace Gateway.Front.Forwarding;

/// <summary>
/// Per-request state shared by the endpoint, the retry loop and the transformer
/// (which YARP calls as a singleton, so state travels on the <see cref="HttpContext"/>).
/// </summary>
public sealed class ProxyExchange : IDisposable
{
    public long StartTimestamp { get; } = Stopwatch.GetTimestamp();

    /// <summary>The buffered request body, replayed on each attempt; null for bodies streamed through.</summary>
    public RequestBody? Body { get; init; }

    public RequestEnvelope? Envelope { get; init; }

    /// <summary>The credential sent upstream, or null to pass the client's own through.</summary>
    public UpstreamCredential? Upstream { get; set; }

    /// <summary>Whether the request can be sent again (its body is buffered, or it has none).</summary>
    internal bool Replayable { get; set; }

    /// <summary>Whether a retryable failure on this attempt may be held back for a retry.</summary>
    internal bool MayRetryResponse { get; set; }

    /// <summary>The last retryable failure held back from the client.</summary>
    internal CapturedResponse? HeldFailure { get; set; }

    /// <summary>Set by the transformer when it held back the current attempt's response.</summary>
    internal bool CurrentAttemptHeld { get; set; }

    public int Attempts { get; internal set; }

    public IResponseTap? Tap { get; internal set; }

    public ObservedUsage? Usage => Tap?.Usage;

    public int? UpstreamStatus { get; internal set; }

    public void Dispose()
    {
        Body?.Dispose();
        Tap?.Dispose();
    }
}

namespace Gateway.Front.Envelope;

/// <summary>Limits of the HTTP edge. Section <c>Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Largest request body accepted on the Messages endpoints (Anthropic's own limit is 32 MB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// On SIGTERM: how long in-flight requests and streams may run on while the front drains (it stops
    /// being ready at once). Long Claude Code turns stream for minutes; keep the pod's grace period longer.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

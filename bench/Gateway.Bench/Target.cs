namespace Gateway.Bench;

/// <summary>Which system a <see cref="Target"/> is, so the report can find the floor and the peers it compares.</summary>
internal enum SystemKind
{
    Direct,
    Nginx,
    Portkey,
    /// <summary>Kestrel and YARP's forwarder with nothing else: the floor for a .NET front on the machine.</summary>
    BareForwarder,
    PassThrough,
    /// <summary>The pass-through gateway with the model routed to a <c>bedrock</c> provider (streaming scenarios only).</summary>
    PassThroughBedrock,
    EverythingOn,
    EverythingOnTwoFronts,
}

/// <summary>
/// One system measured: where it listens (one address, or several fronts the load is split across), which
/// key its clients send, and any headers it needs besides the Anthropic ones (Portkey's provider and host).
/// <see cref="Pids"/>: the processes whose CPU time, memory and threads are the system's (with their children:
/// nginx's workers, Portkey's node); <see cref="MetricsUrls"/>: the gateway processes whose <c>/metrics</c> give
/// bytes allocated and thread-pool work items (empty for the peers).
/// </summary>
internal sealed record Target(SystemKind Kind, string Name, Uri[] Addresses, string ApiKey, IReadOnlyDictionary<string, string>? Headers = null)
{
    public int[] Pids { get; init; } = [];

    public Uri[] MetricsUrls { get; init; } = [];
}

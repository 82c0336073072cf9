namespace Gateway.Bench;

/// <summary>Which system a <see cref="Target"/> is, so the report can find the floor and the peers it compares.</summary>
internal enum SystemKind
{
    Direct,
    Nginx,
    Portkey,
    PassThrough,
    EverythingOn,
    EverythingOnTwoFronts,
}

/// <summary>
/// One system measured: where it listens (one address, or several fronts the load is split across), which
/// key its clients send, and any headers it needs besides the Anthropic ones (Portkey's provider and host).
/// </summary>
internal sealed record Target(SystemKind Kind, string Name, Uri[] Addresses, string ApiKey, IReadOnlyDictionary<string, string>? Headers = null);

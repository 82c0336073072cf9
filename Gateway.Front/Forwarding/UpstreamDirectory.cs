using Microsoft.Extensions.Options;

namespace Gateway.Front.Forwarding;

/// <summary>
/// Where the upstream is and which credential the next request uses. The address can be set once
/// at start-up, when the embedded fake upstream picks its port.
/// </summary>
public sealed class UpstreamDirectory(IOptions<UpstreamOptions> options)
{
    /// <summary>What the embedded fake accepts; a virtual key must never be forwarded, even to it.</summary>
    public const string EmbeddedFakeKey = "sk-fake-upstream-local";

    private UpstreamCredential[] _keys = options.Value.ApiKeys.Select(UpstreamCredential.From).ToArray();
    private string? _prefix = Normalize(options.Value.BaseUrl);
    private int _next = -1;

    /// <summary>Base URL without a trailing slash; YARP appends the request path and query.</summary>
    public string DestinationPrefix => _prefix ?? throw new InvalidOperationException("No upstream address is configured.");

    /// <summary>True when the configuration names no upstream and the embedded fake must serve.</summary>
    public bool NeedsEmbeddedFake => _prefix is null;

    public void UseEmbeddedFake(Uri address)
    {
        _prefix = Normalize(address.ToString());
        if (_keys.Length == 0)
        {
            _keys = [UpstreamCredential.From(EmbeddedFakeKey)];
        }
    }

    /// <summary>Round-robin over the configured keys; null means the client's own credential goes through.</summary>
    public UpstreamCredential? NextCredential()
    {
        if (_keys.Length == 0)
        {
            return null;
        }
        var index = (uint)Interlocked.Increment(ref _next) % (uint)_keys.Length;
        return _keys[index];
    }

    private static string? Normalize(string? url) => string.IsNullOrWhiteSpace(url) ? null : url.TrimEnd('/');
}

using System.Diagnostics.CodeAnalysis;
using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Rewrite;

/// <summary>Cache injection off with no key to switch it on (pass-through mode): every body goes as it came.</summary>
public sealed class NoRequestRewrite : IRequestRewrite
{
    public bool Plans(IHeaderDictionary headers, KeyDescriptor? key, int bodyBytes, out CachePolicy policy)
    {
        policy = CachePolicy.Disabled;
        return false;
    }

    public bool TryRewrite(RequestBody body, RequestEnvelope envelope, CachePolicy policy, ref BreakpointPlanner.Sections sections,
        [NotNullWhen(true)] out RequestBody? rewritten, [NotNullWhen(true)] out RequestEnvelope? rewrittenEnvelope)
    {
        rewritten = null;
        rewrittenEnvelope = null;
        return false;
    }
}

using System.Diagnostics.CodeAnalysis;
using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Rewrite;

/// <summary>
/// The step between reading a Messages body and admitting it: cache breakpoints added server-side
/// (<see cref="CacheInjection"/>). Pass-through mode with injection switched off registers <see cref="NoRequestRewrite"/>.
/// </summary>
public interface IRequestRewrite
{
    /// <summary>
    /// True with a new pooled body (the caller owns and disposes it, and the original stays the caller's) and
    /// its envelope; false when the body goes upstream unchanged.
    /// </summary>
    bool TryRewrite(IHeaderDictionary headers, KeyDescriptor? key, RequestBody body, RequestEnvelope envelope,
        [NotNullWhen(true)] out RequestBody? rewritten, [NotNullWhen(true)] out RequestEnvelope? rewrittenEnvelope);
}

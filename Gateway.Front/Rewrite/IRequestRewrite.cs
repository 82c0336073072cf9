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
    /// Before the envelope is read: whether this request's body may get breakpoints (the policy allows it and the body
    /// is large enough for some model's minimum), so the planner reads its sections during the envelope's pass
    /// (<see cref="EnvelopeReader.TryRead{TSections}"/>) instead of walking the body a second time. True with the
    /// request's policy, which <see cref="TryRewrite"/> then applies.
    /// </summary>
    bool Plans(IHeaderDictionary headers, KeyDescriptor? key, int bodyBytes, out CachePolicy policy);

    /// <summary>
    /// After an envelope pass that carried <paramref name="sections"/> (only when <see cref="Plans"/> said so): true
    /// with a new pooled body (the caller owns and disposes it, and the original stays the caller's) and its
    /// envelope; false when the body goes upstream unchanged.
    /// </summary>
    bool TryRewrite(RequestBody body, RequestEnvelope envelope, CachePolicy policy, ref BreakpointPlanner.Sections sections,
        [NotNullWhen(true)] out RequestBody? rewritten, [NotNullWhen(true)] out RequestEnvelope? rewrittenEnvelope);
}

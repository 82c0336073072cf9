using System.Diagnostics.CodeAnalysis;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Rewrite;

/// <summary>
/// The request-path entry point (a singleton from <c>AddCacheInjection</c>): resolve the policy for a
/// request, then <see cref="Apply"/> it to the body after the envelope is read.
/// <code>
/// var policy = cacheInjection.ResolvePolicy(context.Request.Headers, keyEnabled: key.CacheInjection);
/// if (cacheInjection.Apply(body, envelope, policy, out var injected) is { } rewritten) { body.Dispose(); body = rewritten; }
/// </code>
/// </summary>
public sealed class CacheInjection : IRequestRewrite
{
    private readonly CacheInjector _injector;
    private readonly CacheInjectionOptions _options;

    public CacheInjection(CacheInjector injector)
    {
        _injector = injector;
        _options = injector.Options;
    }

    public CacheInjection(IOptions<CacheInjectionOptions> options) : this(new CacheInjector(options.Value))
    {
    }

    public CacheInjector Injector => _injector;

    /// <summary>
    /// The policy for one request: the options, the key's (or route's) switch and TTL when it has one
    /// (null follows the options), and the client's <see cref="CacheInjectionOptions.DisableHeader"/>.
    /// </summary>
    public CachePolicy ResolvePolicy(IHeaderDictionary headers, bool? keyEnabled = null, string? keyTtl = null)
    {
        var header = headers.TryGetValue(_options.DisableHeader, out var values) ? values.ToString() : null;
        return CachePolicy.Resolve(_options, keyEnabled, header, keyTtl);
    }

    /// <summary>
    /// False when no breakpoint could be added whatever the body holds: no prefix is longer than the
    /// body, so a body below the model's minimum cacheable size is forwarded without being read again.
    /// </summary>
    public bool MayRewrite(int bodyBytes, string model) =>
        bodyBytes / Math.Max(1, _options.BytesPerToken) >= _injector.MinimumCacheableTokens(model);

    /// <summary>The key's switch and TTL and the client's header decide the policy; a body too small for every model is not planned.</summary>
    public bool Plans(IHeaderDictionary headers, KeyDescriptor? key, int bodyBytes, out CachePolicy policy)
    {
        policy = ResolvePolicy(headers, key?.CacheInjection, key?.CacheTtl);
        return policy.Enabled && bodyBytes / Math.Max(1, _options.BytesPerToken) >= _injector.SmallestMinimumCacheableTokens;
    }

    /// <summary>
    /// The request-path step, from the sections the envelope's pass read: a body too small for the model's minimum
    /// is left as it came.
    /// </summary>
    public bool TryRewrite(RequestBody body, RequestEnvelope envelope, CachePolicy policy, ref BreakpointPlanner.Sections sections,
        [NotNullWhen(true)] out RequestBody? rewritten, [NotNullWhen(true)] out RequestEnvelope? rewrittenEnvelope)
    {
        if (MayRewrite(body.Length, envelope.Model)
            && Splice(body, _injector.Plan(ref sections, envelope.Model, policy), out var injected) is { } withBreakpoints)
        {
            rewritten = withBreakpoints;
            rewrittenEnvelope = envelope with { BodyBytes = withBreakpoints.Length, CacheBreakpoints = injected.BreakpointsAfter };
            return true;
        }
        rewritten = null;
        rewrittenEnvelope = null;
        return false;
    }

    /// <summary>
    /// The body with breakpoints added, in a new pooled <see cref="RequestBody"/> the caller owns and
    /// disposes; or null when it is unchanged (forward the original bytes). The original stays the
    /// caller's either way.
    /// </summary>
    public RequestBody? Apply(RequestBody body, RequestEnvelope envelope, CachePolicy policy, out InjectionResult result) =>
        Splice(body, _injector.Plan(body.Span, envelope.Model, policy), out result);

    private static RequestBody? Splice(RequestBody body, BreakpointPlan plan, out InjectionResult result)
    {
        result = plan.ToResult();
        if (plan.Outcome != InjectionOutcome.Rewritten)
        {
            return null;
        }
        // RequestBody copies from a span into its own pooled array; the spliced bytes go through one
        // pooled scratch buffer (a RequestBody that adopted a rented array would save this copy).
        using var output = new PooledBufferWriter(MarkerSplicer.OutputLength(body.Span, plan));
        MarkerSplicer.Write(body.Span, plan, output);
        return RequestBody.FromBytes(output.WrittenSpan);
    }
}

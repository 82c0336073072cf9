using System.Buffers;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Rewrite;

/// <summary>
/// Adds <c>cache_control</c> breakpoints to a Messages request body where they help and fit (see
/// <see cref="BreakpointPlanner"/> for the rules). One read-only <see cref="System.Text.Json.Utf8JsonReader"/>
/// pass plans; if anything is to be added, the client's bytes are copied to the output with the markers
/// spliced in, so everything else (unknown fields, key order, whitespace, number spelling, escapes)
/// survives byte for byte. Thread-safe; one instance per process.
/// </summary>
public sealed class CacheInjector
{
    private readonly CacheInjectionOptions _options;
    private readonly CacheMinimumTable _minimums;

    public CacheInjector(CacheInjectionOptions options)
    {
        _options = options;
        _minimums = new CacheMinimumTable(options);
    }

    public CacheInjector(IOptions<CacheInjectionOptions> options) : this(options.Value)
    {
    }

    public CacheInjectionOptions Options => _options;

    /// <summary>The smallest minimum cacheable prefix of any model, in tokens: below it no body gets a breakpoint.</summary>
    public int SmallestMinimumCacheableTokens => _minimums.Smallest;

    /// <summary>The model's minimum cacheable prefix, in tokens.</summary>
    public int MinimumCacheableTokens(string model) => _minimums.For(model);

    /// <summary>
    /// Writes the body with breakpoints added to <paramref name="output"/> and returns true; or returns
    /// false and writes nothing, when there is nothing to add (the caller forwards the original bytes).
    /// </summary>
    public bool TryRewrite(ReadOnlySpan<byte> body, string model, CachePolicy policy, IBufferWriter<byte> output, out InjectionResult result)
    {
        var plan = Plan(body, model, policy);
        result = plan.ToResult();
        if (plan.Outcome != InjectionOutcome.Rewritten)
        {
            return false;
        }
        MarkerSplicer.Write(body, plan, output);
        return true;
    }

    /// <summary>The plan from sections the envelope's pass already read (<see cref="BreakpointPlanner.Sections"/>).</summary>
    internal BreakpointPlan Plan(ref BreakpointPlanner.Sections sections, string model, CachePolicy policy) =>
        policy.Enabled
            ? BreakpointPlanner.Plan(ref sections, _minimums.For(model), _options.BytesPerToken, policy.IsOneHour)
            : new BreakpointPlan { Outcome = InjectionOutcome.Disabled, Existing = -1 };

    /// <summary>The planning pass alone (no output): what <see cref="TryRewrite"/> would do.</summary>
    internal BreakpointPlan Plan(ReadOnlySpan<byte> body, string model, CachePolicy policy)
    {
        if (!policy.Enabled)
        {
            return new BreakpointPlan { Outcome = InjectionOutcome.Disabled, Existing = -1 };
        }
        return BreakpointPlanner.Plan(body, _minimums.For(model), _options.BytesPerToken, policy.IsOneHour);
    }
}

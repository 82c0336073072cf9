using System.Text.Json;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Rewrite;
using Gateway.Tests.Rewrite;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// The body rewriter (<see cref="CacheInjection.MayRewrite"/> + <see cref="CacheInjection.Apply"/>, as the
/// endpoint calls them) on mutated real requests. Whatever the envelope reader lets through is rewritten
/// into valid JSON that differs from the input only by marker runs (every unknown field byte for byte)
/// and holds at most four breakpoints; whatever it refuses never makes the rewriter throw.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class CacheInjectionFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static readonly CacheInjection Everywhere = new(Options.Create(RewriteKit.NoMinimum()));
    private static readonly CacheInjection Default = new(Options.Create(new CacheInjectionOptions()));

    [Fact]
    public void Mutated_requests_are_rewritten_into_valid_json_with_only_markers_added()
    {
        int accepted = 0, rewritten = 0, refused = 0;
        var cases = FuzzRun.For(output, "rewrite/mutations", 10_000, Budget, (random, index) =>
        {
            var bytes = Mutator.Mutate(FuzzCorpus.PickRequest(random), random, maxMutations: 3);
            var injection = random.Next(3) == 0 ? Default : Everywhere;
            var policy = random.Next(3) switch { 0 => CachePolicy.Default, 1 => CachePolicy.OneHour, _ => CachePolicy.FiveMinutes };
            if (!EnvelopeReader.TryRead(bytes, null, out var envelope, out _))
            {
                // Never reaches the rewriter in the gateway; still, the planner must not throw on it.
                refused++;
                using var sink = new PooledBufferWriter(16);
                injection.Injector.TryRewrite(bytes, "claude-sonnet-4-5", policy, sink, out _);
                return;
            }
            accepted++;
            if (Rewrite(injection, bytes, envelope, policy))
            {
                rewritten++;
            }
        });
        output.WriteLine($"{accepted} accepted ({rewritten} rewritten), {refused} refused by the envelope reader");
        Assert.True(cases >= 200, $"only {cases} cases ran");
        Assert.True(rewritten > 0 && refused > 0, $"rewritten {rewritten}, refused {refused}");
    }

    [Fact]
    public void Random_bytes_never_make_the_planner_throw()
    {
        var cases = FuzzRun.For(output, "rewrite/noise", 2_000, TimeSpan.FromSeconds(3), (random, index) =>
        {
            var bytes = Mutator.Noise(random);
            using var sink = new PooledBufferWriter(16);
            var rewritten = Everywhere.Injector.TryRewrite(bytes, "claude-sonnet-4-5", CachePolicy.Default, sink, out var result);
            Assert.Equal(rewritten, result.Rewritten);
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
    }

    /// <summary>The endpoint's own sequence; true when a rewritten body came out (and passed every check).</summary>
    private static bool Rewrite(CacheInjection injection, byte[] input, RequestEnvelope envelope, CachePolicy policy)
    {
        if (!injection.MayRewrite(input.Length, envelope.Model))
        {
            return false;
        }
        using var body = RequestBody.FromBytes(input);
        using var rewritten = injection.Apply(body, envelope, policy, out var result);
        Assert.Equal(rewritten is not null, result.Rewritten);
        if (rewritten is null)
        {
            Assert.Equal(0, result.AddedCount);
            return false;
        }
        var output = rewritten.Span.ToArray();
        Assert.True(result.BreakpointsAfter <= 4, $"{result.BreakpointsAfter} breakpoints after the rewrite");
        using (JsonDocument.Parse(output, new JsonDocumentOptions { MaxDepth = EnvelopeReader.MaxDepth }))
        {
        }
        // Unknown fields, whitespace, escapes and key order survive: the output is the input plus marker runs.
        var runs = MarkerDiff.InsertedRuns(input, output);
        Assert.True(runs >= result.AddedCount && runs <= 2 * result.AddedCount,
            $"the output differs from the input by more than markers (runs {runs}, added {result.AddedCount})");
        Assert.True(BreakpointAudit.IsAcceptable(output, out var why), "breakpoints after the rewrite: " + why);
        Assert.Equal(BreakpointAudit.Count(input) + result.AddedCount, BreakpointAudit.Count(output));
        // The rewritten body is still a request the gateway accepts, for the same model.
        Assert.True(EnvelopeReader.TryRead(output, null, out var again, out var error), error);
        Assert.Equal(envelope.Model, again.Model);
        return true;
    }
}

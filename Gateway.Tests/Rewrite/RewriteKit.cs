using System.Text;
using Gateway.Front.Buffers;
using Gateway.Front.Rewrite;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Rewrite;

/// <summary>Runs the injector and checks the invariants every rewrite must keep.</summary>
internal static class RewriteKit
{
    /// <summary>Every recorded Claude Code request body (2.1.332 and 2.1.197).</summary>
    public static IEnumerable<object[]> FixtureNames() =>
        Directory.EnumerateFiles(RepoPaths.Fixture("claude-code"), "messages-*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepoPaths.Fixture("claude-code"), path))
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name });

    public static byte[] Fixture(string name) => File.ReadAllBytes(RepoPaths.Fixture("claude-code", name));

    /// <summary>Options that make every spot long enough, so small hand-written bodies exercise the rules.</summary>
    public static CacheInjectionOptions NoMinimum() => new() { DefaultMinimumCacheableTokens = 0, MinimumCacheableTokens = [new() { Model = "*", Tokens = 0 }] };

    public sealed record Outcome(bool Rewritten, byte[] Input, byte[] Output, InjectionResult Result)
    {
        /// <summary>What goes upstream: the rewritten bytes, or the original when nothing changed.</summary>
        public byte[] Forwarded => Rewritten ? Output : Input;

        public string Text => Encoding.UTF8.GetString(Forwarded);
    }

    public static Outcome Run(string body, CachePolicy? policy = null, CacheInjectionOptions? options = null, string model = "claude-sonnet-4-5") =>
        Run(Encoding.UTF8.GetBytes(body), policy, options, model);

    public static Outcome Run(byte[] body, CachePolicy? policy = null, CacheInjectionOptions? options = null, string model = "claude-sonnet-4-5")
    {
        var injector = new CacheInjector(options ?? NoMinimum());
        using var output = new PooledBufferWriter(16);
        var rewritten = injector.TryRewrite(body, model, policy ?? CachePolicy.Default, output, out var result);
        var outcome = new Outcome(rewritten, body, output.WrittenSpan.ToArray(), result);
        Check(outcome);
        if (rewritten)
        {
            // Idempotent: the rewritten body needs nothing more.
            using var again = new PooledBufferWriter(16);
            Assert.False(injector.TryRewrite(outcome.Output, model, policy ?? CachePolicy.Default, again, out var second), $"second pass added {second.Added}");
            Assert.Equal(0, again.WrittenCount);
        }
        return outcome;
    }

    /// <summary>The invariants: nothing written unless rewritten; valid JSON; only markers added; within Anthropic's rules; idempotent.</summary>
    public static void Check(Outcome o)
    {
        Assert.Equal(o.Rewritten, o.Result.Outcome == InjectionOutcome.Rewritten);
        if (!o.Rewritten)
        {
            Assert.Empty(o.Output);
            Assert.Equal(0, o.Result.AddedCount);
            return;
        }
        using (System.Text.Json.JsonDocument.Parse(o.Output))
        {
        }
        var runs = MarkerDiff.InsertedRuns(o.Input, o.Output);
        // One run per marker, two where a string became a block (opening and closing).
        Assert.True(runs >= o.Result.AddedCount && runs <= 2 * o.Result.AddedCount, $"the output differs from the input by more than markers (runs {runs}, added {o.Result.AddedCount})");
        Assert.True(BreakpointAudit.IsAcceptable(o.Output, out var why), "breakpoints after the rewrite: " + why);
        Assert.Equal(o.Result.BreakpointsAfter, BreakpointAudit.Count(o.Output));
        Assert.Equal(o.Result.BreakpointsBefore, BreakpointAudit.Count(o.Input));
    }
}

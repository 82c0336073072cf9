using System.Text;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Rewrite;
using Gateway.Tests.Rewrite;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// The one-pass path (the planner reading the prompt sections during the envelope's pass, as the pipeline runs it)
/// against the two-pass one it replaced (<see cref="EnvelopeReader.TryRead(ReadOnlySpan{byte}, string?, out RequestEnvelope, out string)"/>
/// then the planner's own walk): on real requests, mutated ones and noise, the envelope, the error and the
/// spliced body are the same byte for byte.
/// </summary>
public sealed class OnePassPlanningFuzzTests(ITestOutputHelper output)
{
    private static readonly CacheInjector Everywhere = new(RewriteKit.NoMinimum());
    private static readonly CacheInjector Defaults = new(new CacheInjectionOptions());

    [Fact]
    public void Every_recorded_request_plans_the_same_in_one_pass_as_in_two()
    {
        var rewritten = 0;
        foreach (var body in FuzzCorpus.Requests)
        {
            foreach (var policy in new[] { CachePolicy.Default, CachePolicy.OneHour })
            {
                if (Compare(body, null, Everywhere, policy))
                {
                    rewritten++;
                }
            }
        }
        output.WriteLine($"{FuzzCorpus.Requests.Count} requests, {rewritten} rewrites compared");
        Assert.True(rewritten > 0, "no recorded request got a breakpoint, so the comparison says little");
    }

    [Fact]
    public void Mutated_requests_and_noise_plan_the_same_in_one_pass_as_in_two()
    {
        int accepted = 0, refused = 0, rewritten = 0;
        var cases = FuzzRun.For(output, "rewrite/one-pass", 6_000, TimeSpan.FromSeconds(6), (random, index) =>
        {
            var bytes = random.Next(8) == 0 ? Mutator.Noise(random) : Mutator.Mutate(FuzzCorpus.PickRequest(random), random, maxMutations: 3);
            var injector = random.Next(3) == 0 ? Defaults : Everywhere;
            var policy = random.Next(2) == 0 ? CachePolicy.Default : CachePolicy.FiveMinutes;
            var header = random.Next(4) == 0 ? "session-" + random.Next(100) : null;
            if (!EnvelopeReader.TryRead(bytes, header, out _, out _))
            {
                refused++;
            }
            else
            {
                accepted++;
            }
            if (Compare(bytes, header, injector, policy))
            {
                rewritten++;
            }
        });
        output.WriteLine($"{accepted} accepted ({rewritten} rewritten), {refused} refused");
        Assert.True(cases >= 200, $"only {cases} cases ran");
        Assert.True(accepted > 0 && refused > 0 && rewritten > 0, $"accepted {accepted}, refused {refused}, rewritten {rewritten}");
    }

    [Theory]
    // A value the planner cannot compare (a lone surrogate escape in a block's type or a role): the envelope accepts
    // the body, the planner leaves it alone; the one-pass path starts the envelope pass again without the planner.
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":[{"type":"\ud800","text":"hi"}]}]}""", true)]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"\udc00","content":"hi"}]}""", true)]
    // A section key twice: ambiguous, so neither path plans; the envelope still reads.
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":8,"system":"a","system":"b","messages":[{"role":"user","content":"hi"}]}""", true)]
    // A top-level name that is no string (lone surrogate): an unknown field to both, which plan the rest.
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":8,"\ud800":1,"system":"a long enough system prompt","messages":[{"role":"user","content":"hi"}]}""", false)]
    // Malformed inside a section: both refuse with the same message.
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":8,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}}]}""", false)]
    public void Bodies_the_planner_cannot_take_get_the_same_answer_in_one_pass(string json, bool unreadable)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Compare(bytes, null, Everywhere, CachePolicy.Default);
        var sections = BreakpointPlanner.Sections.Start();
        if (EnvelopeReader.TryRead(bytes, null, ref sections, out var envelope, out _))
        {
            Assert.Equal(unreadable, Everywhere.Plan(ref sections, envelope.Model, CachePolicy.Default).Outcome == InjectionOutcome.Unreadable);
        }
    }

    /// <summary>Both paths on one body; true when it was rewritten (the same way by both).</summary>
    private static bool Compare(byte[] bytes, string? header, CacheInjector injector, CachePolicy policy)
    {
        var twoPassOk = EnvelopeReader.TryRead(bytes, header, out var twoPassEnvelope, out var twoPassError);
        var sections = BreakpointPlanner.Sections.Start();
        var onePassOk = EnvelopeReader.TryRead(bytes, header, ref sections, out var onePassEnvelope, out var onePassError);
        Assert.Equal(twoPassOk, onePassOk);
        Assert.Equal(twoPassError, onePassError);
        if (!twoPassOk)
        {
            return false;
        }
        Assert.Equal(twoPassEnvelope, onePassEnvelope);

        var twoPass = injector.Plan(bytes, twoPassEnvelope.Model, policy);
        var onePass = injector.Plan(ref sections, onePassEnvelope.Model, policy);
        Assert.Equal(twoPass.ToResult(), onePass.ToResult());
        if (twoPass.Outcome != InjectionOutcome.Rewritten)
        {
            return false;
        }
        using var twoPassOut = new PooledBufferWriter(MarkerSplicer.OutputLength(bytes, twoPass));
        using var onePassOut = new PooledBufferWriter(MarkerSplicer.OutputLength(bytes, onePass));
        MarkerSplicer.Write(bytes, twoPass, twoPassOut);
        MarkerSplicer.Write(bytes, onePass, onePassOut);
        Assert.True(twoPassOut.WrittenSpan.SequenceEqual(onePassOut.WrittenSpan), "the spliced bodies differ");
        return true;
    }
}

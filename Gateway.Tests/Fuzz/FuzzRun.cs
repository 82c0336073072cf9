using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Runs a fuzz target on inputs from a seeded generator, bounded by an iteration count and a time
/// budget (whichever ends first), so CI can run it on every commit. A failure names the run's seed and
/// the case's own seed; <c>FUZZ_SEED=&lt;seed&gt;</c> replays the run (coverage-guided fuzzing such as
/// SharpFuzz needs AFL, which CI does not have: a seeded generator is what runs everywhere).
/// </summary>
internal static class FuzzRun
{
    public const string SeedVariable = "FUZZ_SEED";

    /// <summary>Fixed by default so a red build replays exactly; set FUZZ_SEED to explore other inputs.</summary>
    public const int DefaultSeed = 20261127;

    public static int Seed => Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } s ? int.Parse(s) : DefaultSeed;

    /// <summary>Calls <paramref name="body"/> once per case with that case's own generator; returns the number of cases run.</summary>
    public static int For(ITestOutputHelper output, string target, int iterations, TimeSpan budget, Action<Random, int> body)
    {
        var seed = Seed;
        var clock = Stopwatch.StartNew();
        var cases = 0;
        while (cases < iterations && clock.Elapsed < budget)
        {
            // A case seed of its own: a failing case replays without re-running the ones before it.
            var caseSeed = unchecked(seed * 31 + cases * 7919);
            try
            {
                body(new Random(caseSeed), cases);
            }
            catch (Exception e)
            {
                throw new XunitException($"{target}: case {cases} failed ({SeedVariable}={seed}, case seed {caseSeed}): {e}");
            }
            cases++;
        }
        output.WriteLine($"{target}: {cases} cases in {clock.ElapsedMilliseconds} ms ({SeedVariable}={seed})");
        return cases;
    }
}

using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>A front with virtual keys over a real Postgres (migrated, views included) and the fake upstream.</summary>
public sealed class ReportsHost : TenantFrontHost
{
    /// <summary>A Messages body with a system prompt, so the request log keeps a prompt-prefix hash (repeated prompts).</summary>
    public const string RequestWithSystem =
        """{"model":"claude-sonnet-4-5","max_tokens":64,"system":"You are the console report test.","messages":[{"role":"user","content":"Say hello"}]}""";

    /// <summary>
    /// A Messages body whose system prompt (about 2,500 tokens) is long enough to cache: the gateway adds a breakpoint,
    /// so the fake upstream's simulated cache writes on the first request and reads on the next (cache savings).
    /// </summary>
    public static string RequestWithLongSystem { get; } =
        $$"""{"model":"claude-sonnet-4-5","max_tokens":64,"system":"{{string.Concat(Enumerable.Repeat("You review pull requests for the platform team. ", 200))}}","messages":[{"role":"user","content":"Review this"}]}""";
}

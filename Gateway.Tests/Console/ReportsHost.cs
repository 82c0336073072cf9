using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>A front with virtual keys over a real Postgres (migrated, views included) and the fake upstream.</summary>
public sealed class ReportsHost : TenantFrontHost
{
    /// <summary>A Messages body with a system prompt, so the request log keeps a prompt-prefix hash (repeated prompts).</summary>
    public const string RequestWithSystem =
        """{"model":"claude-sonnet-4-5","max_tokens":64,"system":"You are the console report test.","messages":[{"role":"user","content":"Say hello"}]}""";
}

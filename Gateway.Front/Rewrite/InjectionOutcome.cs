namespace Gateway.Front.Rewrite;

/// <summary>What the injector did with one body (a bounded set: fit for a metric label).</summary>
public enum InjectionOutcome : byte
{
    /// <summary>Breakpoints were added; the rewritten body was written.</summary>
    Rewritten,

    /// <summary>The policy said off (options, key, route or header).</summary>
    Disabled,

    /// <summary>The client's own breakpoints already use all four slots.</summary>
    NoRoom,

    /// <summary>Room was left, but no spot qualified (already marked, too short, single turn, TTL order).</summary>
    NothingToAdd,

    /// <summary>The client's breakpoints already break Anthropic's rules (over four, or 1h after 5m): left for the API to answer.</summary>
    ClientBreakpointsInvalid,

    /// <summary>Not a JSON object the injector understands (the envelope reader normally rejects these first).</summary>
    Unreadable,
}

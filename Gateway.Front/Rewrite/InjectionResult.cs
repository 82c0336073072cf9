namespace Gateway.Front.Rewrite;

/// <summary>
/// The injector's account of one body: breakpoints before and after (as Anthropic counts them; -1 when the
/// body was not read, i.e. <see cref="InjectionOutcome.Disabled"/> or <see cref="InjectionOutcome.Unreadable"/>),
/// and where it added them.
/// </summary>
public readonly record struct InjectionResult(InjectionOutcome Outcome, int BreakpointsBefore, int BreakpointsAfter, BreakpointSpots Added)
{
    public int AddedCount => System.Numerics.BitOperations.PopCount((uint)Added);

    public bool Rewritten => Outcome == InjectionOutcome.Rewritten;
}

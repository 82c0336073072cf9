using System.Numerics;

namespace Gateway.Front.Rewrite;

/// <summary>
/// What <see cref="BreakpointPlanner"/> found in a body and decided: the client's breakpoints, the three
/// candidate spots, and which of them get a marker. A value type: planning allocates nothing.
/// </summary>
internal struct BreakpointPlan
{
    public InjectionOutcome Outcome;

    /// <summary>The client's breakpoints, as Anthropic counts them (a top-level <c>cache_control</c> included).</summary>
    public int Existing;

    public BreakpointSpots Added;

    /// <summary>The added markers carry <c>"ttl":"1h"</c>.</summary>
    public bool OneHour;

    public Spot Tools;
    public Spot System;
    public Spot UserTurn;

    public readonly int AddedCount => BitOperations.PopCount((uint)Added);

    public readonly InjectionResult ToResult() => new(Outcome, Existing, Existing + AddedCount, Added);

    public static BreakpointPlan Unreadable => new() { Outcome = InjectionOutcome.Unreadable, Existing = -1 };

    /// <summary>
    /// The insertions, as (offset in the body, bytes), sorted by offset. At most two per spot (a wrapped
    /// string opens and closes), so at most six; <paramref name="into"/> must hold six.
    /// </summary>
    public readonly int Insertions(Span<Insertion> into)
    {
        var count = 0;
        Add(ref count, into, BreakpointSpots.Tools, Tools);
        Add(ref count, into, BreakpointSpots.System, System);
        Add(ref count, into, BreakpointSpots.LatestUserTurn, UserTurn);
        // Spots sit in body order, which need not be tools → system → messages: sort the few entries.
        for (var i = 1; i < count; i++)
        {
            for (var j = i; j > 0 && into[j - 1].Offset > into[j].Offset; j--)
            {
                (into[j - 1], into[j]) = (into[j], into[j - 1]);
            }
        }
        return count;
    }

    private readonly void Add(ref int count, Span<Insertion> into, BreakpointSpots flag, Spot spot)
    {
        if ((Added & flag) == 0)
        {
            return;
        }
        switch (spot.Shape)
        {
            case SpotShape.Object:
                into[count++] = new Insertion(spot.End, InsertionKind.PropertyWithComma);
                break;
            case SpotShape.EmptyObject:
                into[count++] = new Insertion(spot.End, InsertionKind.Property);
                break;
            case SpotShape.String:
                into[count++] = new Insertion(spot.Start, InsertionKind.WrapOpen);
                into[count++] = new Insertion(spot.End, InsertionKind.WrapClose);
                break;
        }
    }
}

internal enum InsertionKind : byte
{
    PropertyWithComma,
    Property,
    WrapOpen,
    WrapClose,
}

/// <summary>Bytes to insert before the body byte at <see cref="Offset"/>.</summary>
internal readonly record struct Insertion(int Offset, InsertionKind Kind)
{
    public const int MaxCount = 6;

    public ReadOnlySpan<byte> Bytes(bool oneHour) => Kind switch
    {
        InsertionKind.PropertyWithComma => CacheControlMarker.Property(oneHour, leadingComma: true),
        InsertionKind.Property => CacheControlMarker.Property(oneHour, leadingComma: false),
        InsertionKind.WrapOpen => CacheControlMarker.WrapOpen,
        _ => CacheControlMarker.WrapClose(oneHour),
    };
}

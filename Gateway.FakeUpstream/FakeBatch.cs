namespace Gateway.FakeUpstream;

/// <summary>
/// One Message Batch in the fake: its requests (custom id and the params' raw bytes), when it ends,
/// and whether it was canceled or deleted. Its status is derived from the clock, as the real one
/// moves on its own: <c>in_progress</c> until <see cref="EndsAt"/>, <c>canceling</c> after a cancel.
/// </summary>
public sealed class FakeBatch
{
    internal FakeBatch(string id, string owner, IReadOnlyList<FakeBatchResult> results, DateTimeOffset createdAt, DateTimeOffset endsAt)
    {
        Id = id;
        Owner = owner;
        Results = results;
        Succeeded = results.Count(r => r.Succeeded);
        CreatedAt = createdAt;
        EndsAt = endsAt;
    }

    public string Id { get; }

    /// <summary>The upstream key that created it: only that key's organisation sees it.</summary>
    public string Owner { get; }

    /// <summary>Each request's outcome, decided at creation and revealed when the batch ends.</summary>
    internal IReadOnlyList<FakeBatchResult> Results { get; }

    internal int Succeeded { get; }

    public int RequestCount => Results.Count;

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset EndsAt { get; internal set; }

    public DateTimeOffset? CancelInitiatedAt { get; internal set; }

    public bool Deleted { get; internal set; }

    /// <summary>How many times its results were downloaded (tests check the gateway reads them as needed).</summary>
    public int ResultReads { get; internal set; }

    public DateTimeOffset ExpiresAt => CreatedAt.AddHours(24);

    public bool HasEnded(DateTimeOffset now) => now >= EndsAt;

    public string Status(DateTimeOffset now) => HasEnded(now) ? "ended" : CancelInitiatedAt is null ? "in_progress" : "canceling";
}

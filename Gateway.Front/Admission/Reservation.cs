namespace Gateway.Front.Admission;

/// <summary>What admission took from the key's buckets for one request, to be trued up at settlement.</summary>
public readonly record struct Reservation(string KeyId, long InputTokens, long OutputTokens)
{
    /// <summary>The request's worst-case cost (its max_tokens priced); zero for keys without a budget.</summary>
    public decimal WorstCaseUsd { get; init; }

    /// <summary>That worst case, held against the key's budget until the request is charged.</summary>
    public BudgetHold? Budget { get; init; }
}

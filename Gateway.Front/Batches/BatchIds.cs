using System.Security.Cryptography;
using System.Text;

namespace Gateway.Front.Batches;

/// <summary>Ids derived from a batch id, the same on every front and every retry, which is what makes settlement happen once.</summary>
public static class BatchIds
{
    /// <summary>Longest batch id accepted in a path (Anthropic's are about 35 characters).</summary>
    public const int MaxLength = 128;

    /// <summary>Whether a path segment can be a batch id at all: <c>msgbatch_</c> and letters or digits.</summary>
    public static bool IsWellFormed(string id) =>
        id.Length > Prefix.Length && id.Length <= MaxLength && id.StartsWith(Prefix, StringComparison.Ordinal)
        && !id.AsSpan(Prefix.Length).ContainsAnyExcept(Alphanumerics);

    private const string Prefix = "msgbatch_";

    private static readonly System.Buffers.SearchValues<char> Alphanumerics =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-");

    /// <summary>The settlement id of the <paramref name="chunk"/>-th group of a batch's charges.</summary>
    public static Guid Settlement(string batchId, int chunk) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"batch-settlement/{batchId}/{chunk}")).AsSpan(0, 16));

    /// <summary>The settlement id of the worst-case charge of a batch gone upstream before it was settled.</summary>
    public static Guid WorstCaseSettlement(string batchId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"batch-settlement/{batchId}/worst-case")).AsSpan(0, 16));

    /// <summary>The audit request id of that charge: ':' then a name no custom id can have (they are [a-zA-Z0-9_-]).</summary>
    public static string WorstCaseAuditRequestId(string batchId) => $"{batchId}:*worst-case";

    /// <summary>The audit request id of one result: the batch and the request's custom id.</summary>
    public static string AuditRequestId(string batchId, string customId) => $"{batchId}:{customId}";

    /// <summary>The provisional hold taken before the upstream has given the batch an id.</summary>
    public static string ProvisionalHold() => "pending:" + Guid.NewGuid().ToString("N");
}

using System.Text;

namespace Gateway.Tests.Rewrite;

/// <summary>
/// Proves, without trusting the injector's own bookkeeping, that a rewritten body is the original with
/// only marker runs inserted: it aligns the two byte by byte and lets the output skip one of the known
/// marker literals wherever that makes the alignment work (backtracking, since the client's own markers
/// look the same).
/// </summary>
internal static class MarkerDiff
{
    private static readonly byte[][] Literals =
    [
        .. new[]
        {
            ""","cache_control":{"type":"ephemeral"}}]""",
            ""","cache_control":{"type":"ephemeral","ttl":"1h"}}]""",
            ""","cache_control":{"type":"ephemeral"}""",
            ""","cache_control":{"type":"ephemeral","ttl":"1h"}""",
            "\"cache_control\":{\"type\":\"ephemeral\"}",
            "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}",
            """[{"type":"text","text":""",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    /// <summary>How many marker runs the output adds to the input, or -1 if it differs in any other way.</summary>
    public static int InsertedRuns(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output) => Align(input, output, 0, 0, 0);

    private static int Align(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output, int i, int j, int depth)
    {
        if (depth > 16)
        {
            return -1;
        }
        while (true)
        {
            if (i == output.Length)
            {
                return j == input.Length ? 0 : -1;
            }
            var b = output[i];
            if (b is (byte)',' or (byte)'"' or (byte)'[')
            {
                foreach (var literal in Literals)
                {
                    if (output[i..].StartsWith(literal))
                    {
                        var rest = Align(input, output, i + literal.Length, j, depth + 1);
                        if (rest >= 0)
                        {
                            return rest + 1;
                        }
                    }
                }
            }
            if (j < input.Length && input[j] == b)
            {
                i++;
                j++;
                continue;
            }
            return -1;
        }
    }
}

namespace Gateway.FakeUpstream;

/// <summary>Ids shaped like Anthropic's (<c>msg_01…</c>, <c>req_01…</c>, <c>toolu_01…</c>): prefix, "01", 22 base62 chars.</summary>
internal static class FakeIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Message() => Create("msg_");
    public static string Request() => Create("req_");
    public static string ToolUse() => Create("toolu_");
    public static string Batch() => Create("msgbatch_");

    private static string Create(string prefix) =>
        string.Create(prefix.Length + 24, prefix, static (span, p) =>
        {
            p.AsSpan().CopyTo(span);
            span[p.Length] = '0';
            span[p.Length + 1] = '1';
            var rest = span[(p.Length + 2)..];
            for (var i = 0; i < rest.Length; i++)
            {
                rest[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });
}

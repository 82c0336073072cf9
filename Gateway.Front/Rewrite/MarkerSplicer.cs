using System.Buffers;

namespace Gateway.Front.Rewrite;

/// <summary>
/// Writes the rewritten body as the client's bytes with the planned markers spliced in: every byte the
/// plan does not insert is the client's own (whitespace, key order, number spelling, escapes), copied in
/// at most seven runs straight into the output. The output length is known up front, so it asks the
/// writer for one span.
/// </summary>
internal static class MarkerSplicer
{
    public static int OutputLength(ReadOnlySpan<byte> body, in BreakpointPlan plan)
    {
        Span<Insertion> insertions = stackalloc Insertion[Insertion.MaxCount];
        var count = plan.Insertions(insertions);
        var length = body.Length;
        for (var i = 0; i < count; i++)
        {
            length += insertions[i].Bytes(plan.OneHour).Length;
        }
        return length;
    }

    public static void Write(ReadOnlySpan<byte> body, in BreakpointPlan plan, IBufferWriter<byte> output)
    {
        Span<Insertion> insertions = stackalloc Insertion[Insertion.MaxCount];
        var count = plan.Insertions(insertions);
        var length = body.Length;
        for (var i = 0; i < count; i++)
        {
            length += insertions[i].Bytes(plan.OneHour).Length;
        }

        var destination = output.GetSpan(length);
        var copied = 0;
        var written = 0;
        for (var i = 0; i < count; i++)
        {
            var run = body[copied..insertions[i].Offset];
            run.CopyTo(destination[written..]);
            written += run.Length;
            copied = insertions[i].Offset;
            var bytes = insertions[i].Bytes(plan.OneHour);
            bytes.CopyTo(destination[written..]);
            written += bytes.Length;
        }
        body[copied..].CopyTo(destination[written..]);
        written += body.Length - copied;
        output.Advance(written);
    }
}

namespace Gateway.Front.Buffers;

/// <summary>Appending to a pooled array that grows by doubling: the taps' only buffering.</summary>
internal static class PooledBytes
{
    public static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            PooledArray.Grow(ref buffer, length, Math.Max(buffer.Length * 2, length + bytes.Length));
        }
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }
}

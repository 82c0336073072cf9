using System.Buffers;

namespace Gateway.Front.Buffers;

/// <summary>Growing an array rented from <see cref="ArrayPool{T}.Shared"/>: the one way every pooled buffer here grows.</summary>
internal static class PooledArray
{
    /// <summary>Swaps <paramref name="buffer"/> for a rented array of at least <paramref name="size"/> bytes holding its first <paramref name="used"/> bytes, and returns the old one.</summary>
    public static void Grow(ref byte[] buffer, int used, int size)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}

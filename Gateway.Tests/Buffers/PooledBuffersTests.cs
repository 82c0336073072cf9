using System.Buffers;
using Gateway.Front.Buffers;

namespace Gateway.Tests.Buffers;

/// <summary>The pooled buffers keep every byte written before they grow.</summary>
public sealed class PooledBuffersTests
{
    private static byte[] Bytes(int count, int seed) => Enumerable.Range(0, count).Select(i => (byte)(i * 7 + seed)).ToArray();

    [Fact]
    public void Grow_keeps_the_used_bytes_and_rents_at_least_the_size()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16);
        Bytes(10, 1).CopyTo(buffer, 0);
        PooledArray.Grow(ref buffer, 10, 5000);
        Assert.True(buffer.Length >= 5000);
        Assert.Equal(Bytes(10, 1), buffer[..10]);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    [Fact]
    public void Append_grows_past_the_first_array_and_keeps_order()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16);
        var length = 0;
        var expected = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            var chunk = Bytes(i * 3, i);
            PooledBytes.Append(ref buffer, ref length, chunk);
            expected.AddRange(chunk);
        }
        Assert.Equal(expected.ToArray(), buffer[..length]);
        ArrayPool<byte>.Shared.Return(buffer);
    }

    [Fact]
    public void Writer_grows_on_demand_and_clears_on_dispose()
    {
        var writer = new PooledBufferWriter(16);
        var expected = new List<byte>();
        for (var i = 0; i < 40; i++)
        {
            var chunk = Bytes(100 + i, i);
            chunk.CopyTo(writer.GetSpan(chunk.Length));
            writer.Advance(chunk.Length);
            expected.AddRange(chunk);
        }
        Assert.Equal(expected.Count, writer.WrittenCount);
        Assert.Equal(expected.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Throws<InvalidOperationException>(() => writer.Advance(writer.GetSpan().Length + 1));
        writer.Dispose();
        Assert.Equal(0, writer.WrittenCount);
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan(1));
    }
}

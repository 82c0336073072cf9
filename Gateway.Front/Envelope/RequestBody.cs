using System.Buffers;
using Gateway.Front.Buffers;

namespace Gateway.Front.Envelope;

/// <summary>
/// The client's request body, held once in a pooled array: the envelope is read from it, a retry
/// replays it, and the rewrite step copies from it. Returned to the pool when the request ends.
/// </summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>A fresh read-only stream over the bytes, for one forwarding attempt.</summary>
    public Stream OpenRead() => new MemoryStream(_buffer!, 0, Length, writable: false, publiclyVisible: false);

    /// <summary>
    /// The first buffer never exceeds this, whatever Content-Length says: a client that declares 32 MB
    /// and sends a byte a second must not pin 32 MB of pool memory before its bytes arrive.
    /// </summary>
    public const int InitialBufferBytes = 64 * 1024;

    /// <summary>
    /// Reads the whole body, or returns null when it exceeds <paramref name="limit"/>. The buffer starts at
    /// min(declared, <see cref="InitialBufferBytes"/>) and doubles as bytes arrive (never past the
    /// declared length while it holds, nor past the limit), so memory follows what was received.
    /// </summary>
    public static async ValueTask<RequestBody?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(Math.Min(declared ?? 16 * 1024, InitialBufferBytes), 1, limit + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return null;
                    }
                    // Up to the declared length while short of it; past it only to find a lying length (and
                    // the limit), which the server normally refuses before we see it.
                    var wanted = (long)buffer.Length * 2;
                    if (declared is { } total && length < total)
                    {
                        wanted = Math.Min(wanted, total);
                    }
                    PooledArray.Grow(ref buffer, length, (int)Math.Min(wanted, limit + 1));
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }
            return new RequestBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Wraps bytes the gateway produced itself (a rewritten body, a test input).</summary>
    public static RequestBody FromBytes(ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length, 1));
        bytes.CopyTo(buffer);
        return new RequestBody(buffer, bytes.Length);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

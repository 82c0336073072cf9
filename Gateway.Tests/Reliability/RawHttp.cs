using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Reliability;

/// <summary>
/// HTTP/1.1 over a bare loopback socket, for what HttpClient refuses to send: raw header bytes (CR, LF,
/// non-ASCII, oversized), lying Content-Length, and bytes trickled one at a time. Reads the reply until
/// its Content-Length (or chunked end) is in, the server closes, or the deadline passes.
/// </summary>
internal static class RawHttp
{
    public sealed record Reply(int Status, string Head, string Body, bool ServerClosed, TimeSpan Elapsed)
    {
        public string? Header(string name) => Head.Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())
            .FirstOrDefault();
    }

    /// <summary>A request head with the given extra header lines (each without CRLF; raw text, sent as Latin-1 bytes).</summary>
    public static byte[] Head(Uri baseAddress, string method, string path, IEnumerable<string> headers, int? contentLength)
    {
        var text = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }
        if (contentLength is { } length)
        {
            text.Append("Content-Type: application/json\r\nContent-Length: ").Append(length).Append("\r\n");
        }
        text.Append("\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>
    /// Sends <paramref name="request"/> (all at once, or from <paramref name="trickleFrom"/> on one byte per
    /// <paramref name="byteDelay"/>) and reads the reply.
    /// </summary>
    public static async Task<Reply> SendAsync(Uri baseAddress, byte[] request, TimeSpan deadline, TimeSpan? byteDelay = null,
        int trickleFrom = 0)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(deadline);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(baseAddress.Host, baseAddress.Port, cts.Token);
        var toSend = request.AsMemory();
        // The reply may come while we are still sending (a server cutting a slow client): read concurrently.
        var reading = ReadReplyAsync(socket, cts.Token);
        try
        {
            if (byteDelay is { } delay)
            {
                if (trickleFrom > 0)
                {
                    await socket.SendAsync(toSend[..trickleFrom], SocketFlags.None, cts.Token);
                }
                for (var i = trickleFrom; i < toSend.Length && !reading.IsCompleted; i++)
                {
                    await socket.SendAsync(toSend.Slice(i, 1), SocketFlags.None, cts.Token);
                    await Task.Delay(delay, cts.Token);
                }
            }
            else
            {
                await socket.SendAsync(toSend, SocketFlags.None, cts.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The server cut us off while sending: what it answered (if anything) is the result.
        }
        var (bytes, closed) = await reading;
        return Parse(bytes, closed, clock.Elapsed);
    }

    private static async Task<(byte[] Bytes, bool Closed)> ReadReplyAsync(Socket socket, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                {
                    return (received.ToArray(), true);
                }
                received.Write(buffer, 0, read);
                if (IsComplete(received.GetBuffer().AsSpan(0, (int)received.Length)))
                {
                    return (received.ToArray(), false);
                }
            }
        }
        catch (SocketException)
        {
            return (received.ToArray(), true);
        }
        catch (OperationCanceledException)
        {
            return (received.ToArray(), false);
        }
    }

    private static bool IsComplete(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }
        var head = Encoding.Latin1.GetString(bytes[..end]);
        var body = bytes[(end + 4)..];
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return body.Length >= int.Parse(line[15..].Trim());
            }
            if (line.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase))
            {
                return body.EndsWith("0\r\n\r\n"u8);
            }
        }
        return false;
    }

    private static Reply Parse(byte[] bytes, bool closed, TimeSpan elapsed)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return new Reply(0, Encoding.Latin1.GetString(bytes), "", closed, elapsed);
        }
        var head = Encoding.Latin1.GetString(bytes, 0, end);
        var status = int.Parse(head.Split(' ', 3)[1]);
        return new Reply(status, head, Encoding.UTF8.GetString(bytes, end + 4, bytes.Length - end - 4), closed, elapsed);
    }
}

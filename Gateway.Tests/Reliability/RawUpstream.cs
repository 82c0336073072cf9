using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Upstreams misbehaving below HTTP, where Kestrel cannot be made to: a listener that accepts and never
/// answers, one that trickles its response headers a byte at a time, and one whose accept backlog is full
/// so connects hang. Loopback only; every socket is closed on dispose.
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private const string SseReply =
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_raw\",\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n" +
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n" +
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _held = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private int _accepted;
    private int _open;

    private RawUpstream(int backlog, Func<RawUpstream, Socket, Task>? serve)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(backlog);
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}/");
        _accepting = serve is null ? Task.CompletedTask : AcceptLoopAsync(serve);
    }

    public Uri BaseAddress { get; }

    public int Port => BaseAddress.Port;

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Accepted connections the client has not closed yet.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Accepts, reads whatever comes, never writes a byte: the client's deadline is all that ends it.</summary>
    public static RawUpstream Silent() => new(512, static async (self, socket) =>
    {
        var buffer = new byte[4096];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, self._stop.Token) > 0)
        {
        }
    });

    /// <summary>Reads the request, then writes a whole SSE response one byte per <paramref name="delay"/>, headers included.</summary>
    public static RawUpstream TrickleHeaders(TimeSpan delay) => new(512, async (self, socket) =>
    {
        await ReadRequestAsync(socket, self._stop.Token);
        var response = Encoding.ASCII.GetBytes(
            // Connection: close — it answers one request per connection, so the gateway must not reuse one.
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nrequest-id: req_raw\r\nConnection: close\r\n" +
            $"Content-Length: {Encoding.UTF8.GetByteCount(SseReply)}\r\n\r\n" + SseReply);
        for (var i = 0; i < response.Length; i++)
        {
            await socket.SendAsync(response.AsMemory(i, 1), SocketFlags.None, self._stop.Token);
            await Task.Delay(delay, self._stop.Token);
        }
        var buffer = new byte[1024];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, self._stop.Token) > 0)
        {
        }
    });

    /// <summary>
    /// A listener with a backlog of one that never accepts, filled by a few connections of its own: the
    /// kernel drops further SYNs, so a client's connect hangs until its own timeout.
    /// </summary>
    public static async Task<RawUpstream> BacklogFullAsync()
    {
        var upstream = new RawUpstream(1, serve: null);
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            upstream.Hold(filler);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(IPAddress.Loopback, upstream.Port, cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // This one already hangs: the queue is full.
            }
        }
        return upstream;
    }

    private void Hold(Socket socket)
    {
        lock (_gate)
        {
            _held.Add(socket);
        }
    }

    private async Task AcceptLoopAsync(Func<RawUpstream, Socket, Task> serve)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _open);
            Hold(socket);
            _ = Task.Run(async () =>
            {
                try
                {
                    await serve(this, socket);
                }
                catch (Exception)
                {
                    // The client went away, or we are stopping.
                }
                finally
                {
                    Interlocked.Decrement(ref _open);
                    socket.Dispose();
                }
            });
        }
    }

    private static async Task ReadRequestAsync(Socket socket, CancellationToken ct)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (read == 0)
            {
                throw new IOException("closed before the request ended");
            }
            received.AddRange(buffer.AsSpan(0, read));
            var text = Encoding.Latin1.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }
            var length = text[..end].Split("\r\n")
                .Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => int.Parse(l[15..].Trim())).FirstOrDefault();
            if (received.Count >= end + 4 + length)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting;
        lock (_gate)
        {
            foreach (var socket in _held)
            {
                socket.Dispose();
            }
        }
        _stop.Dispose();
    }
}

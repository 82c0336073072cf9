using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Front.Envelope;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Reliability;
using Xunit.Abstractions;

namespace Gateway.Tests.Security;

/// <summary>
/// Slow bodies: a client that declares a large Content-Length and sends slowly holds only what it sent
/// (the body buffer starts at <see cref="RequestBody.InitialBufferBytes"/> and doubles as bytes arrive),
/// so 32 such clients declaring 32 MB each do not reserve 1 GiB. Bodies that do arrive, fast or slow,
/// still reach the upstream byte for byte.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
[Collection(ResourceBoundsCollection.Name)] // it measures the whole process's allocations: run alone
public sealed class SlowBodyTests(ITestOutputHelper output)
{
    private const int Clients = 32;
    private const int Declared = 32 * 1024 * 1024;

    [Fact]
    public async Task Slow_clients_declaring_32_MB_each_do_not_raise_memory_by_the_declared_sum()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using (var warm = front.CreateClient(key.Secret))
        using (var response = await warm.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var head = RawHttp.Head(front.BaseAddress, "POST", "/v1/messages",
            [$"x-api-key: {key.Secret}", "anthropic-version: 2023-06-01"], Declared);
        var start = Encoding.UTF8.GetBytes("""{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":" """ + new string('x', 1024));
        var sockets = new List<Socket>();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(front.BaseAddress.Host, front.BaseAddress.Port);
                await socket.SendAsync(RawHttp.Concat(head, start));
            }
            // Long enough for every request to be authenticated and waiting in the body read (Kestrel's
            // minimum data rate only applies after its 5 s grace period).
            await Task.Delay(TimeSpan.FromSeconds(2));
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            output.WriteLine($"{Clients} clients declaring {Declared / (1024 * 1024)} MB each, 1 KB sent: {allocated / (1024.0 * 1024):0.0} MB allocated by the process meanwhile " +
                $"(declared sum {(long)Clients * Declared / (1024 * 1024)} MB)");
            // Before, each one rented its declared 32 MB at once: over 1 GiB. The silo and front of this test
            // allocate too, hence a quarter of the declared sum as the line, not zero.
            Assert.True(allocated < (long)Clients * Declared / 4, $"{allocated} bytes allocated");
            Assert.Empty(upstream.Received.Skip(1));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task Bodies_larger_than_the_first_buffer_arrive_whole_fast_or_trickled()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, postgres: null);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        foreach (var size in new[] { 10, RequestBody.InitialBufferBytes - 200, RequestBody.InitialBufferBytes * 3 + 17, 1024 * 1024 })
        {
            var body = Body(size);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", content);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{size}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(body, upstream.Received[^1].Body);
        }

        // Declared 300 KB, sent in 64 KB-ish pieces with pauses: the buffer grows as they come.
        var trickled = Body(300 * 1024);
        using (var trickle = new TrickledContent(trickled, 40_000, TimeSpan.FromMilliseconds(50)))
        {
            trickle.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", trickle);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(trickled, upstream.Received[^1].Body);
        }

        // Chunked (no Content-Length): grown the same way.
        var chunked = Body(200 * 1024);
        using (var unknownLength = new TrickledContent(chunked, 50_000, TimeSpan.Zero, declareLength: false))
        {
            unknownLength.Headers.ContentType = new("application/json");
            using var response = await client.PostAsync("v1/messages", unknownLength);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(chunked, upstream.Received[^1].Body);
        }
    }

    /// <summary>A valid Messages body of exactly <paramref name="size"/> bytes (at least the JSON around the text).</summary>
    private static byte[] Body(int size)
    {
        const string prefix = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":" """;
        const string suffix = "\"}]}";
        var padding = Math.Max(0, size - prefix.Length - suffix.Length);
        return Encoding.UTF8.GetBytes(prefix + new string('x', padding) + suffix);
    }

    private sealed class TrickledContent(byte[] bytes, int piece, TimeSpan pause, bool declareLength = true) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += piece)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(piece, bytes.Length - offset)));
                await stream.FlushAsync();
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause);
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return declareLength;
        }
    }
}

using System.Buffers;
using System.Text;
using Gateway.FakeUpstream.Bedrock;
using Gateway.Front.Bedrock.Provider;
using Gateway.Front.Streaming;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Bedrock's eventstream decoding (eventstream → Anthropic SSE, what a Bedrock provider's answers go through) fed
/// the recorded streams framed as Bedrock frames them (by the fake's own encoder), their mutations and noise, in
/// random chunk splits and split at every byte boundary: it never throws, its output does not depend on how the
/// bytes were cut, and on unmutated streams the usage tap reads from its SSE what it reads from the original.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class EventStreamFuzzTests(ITestOutputHelper output, RecordedStreams recorded) : IClassFixture<RecordedStreams>
{
    [Fact]
    public void Framed_recorded_streams_translate_to_the_same_usage_at_every_split()
    {
        foreach (var sse in recorded.Streams)
        {
            var framed = Frame(sse);
            var whole = Translate(framed, [framed.Length]);
            Assert.Equal(Describe(Tap(sse)), Describe(Tap(whole)));
            for (var cut = 1; cut < framed.Length; cut++)
            {
                Assert.Equal(whole, Translate(framed, [cut, framed.Length - cut]));
            }
            Assert.Equal(whole, Translate(framed, Enumerable.Repeat(1, framed.Length).ToArray()));
        }
    }

    [Fact]
    public void Mutated_streams_translate_the_same_whatever_the_chunking()
    {
        var framed = recorded.Streams.Select(Frame).ToList();
        var cases = FuzzRun.For(output, "eventstream/mutations", 5_000, TimeSpan.FromSeconds(8), (random, index) =>
        {
            var bytes = Mutator.Mutate(framed[random.Next(framed.Count)], random);
            var whole = Translate(bytes, [bytes.Length]);
            Assert.Equal(whole, Translate(bytes, RandomSplits(bytes.Length, random)));
            if (index % 25 == 0 && bytes.Length < 4_096)
            {
                for (var cut = 1; cut < bytes.Length; cut++)
                {
                    Assert.Equal(whole, Translate(bytes, [cut, bytes.Length - cut]));
                }
            }
            // Whatever came in, what goes out is SSE the usage tap reads without throwing.
            Tap(whole);
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var cases = FuzzRun.For(output, "eventstream/noise", 2_000, TimeSpan.FromSeconds(3), (random, index) =>
        {
            var bytes = Mutator.Noise(random, 2048);
            Assert.Equal(Translate(bytes, [bytes.Length]), Translate(bytes, RandomSplits(bytes.Length, random)));
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
    }

    /// <summary>An SSE stream as Bedrock sends it: each event's data in a chunk frame; an error event as a throttling exception.</summary>
    private static byte[] Frame(byte[] sse)
    {
        var output = new MemoryStream();
        var text = Encoding.UTF8.GetString(sse).Replace("\r\n", "\n");
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            var data = string.Join("\n", lines.Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart(' ')));
            if (data.Length == 0)
            {
                continue;
            }
            output.Write(lines.Any(l => l == "event: error")
                ? EventStreamFrames.Exception("throttlingException", """{"message":"Too many requests"}""")
                : EventStreamFrames.Chunk(Encoding.UTF8.GetBytes(data)));
        }
        return output.ToArray();
    }

    private static byte[] Translate(byte[] bytes, int[] chunks)
    {
        using var translator = new BedrockToMessagesStream();
        var sse = new ArrayBufferWriter<byte>();
        var at = 0;
        foreach (var size in chunks)
        {
            translator.Feed(bytes.AsSpan(at, size), sse);
            at += size;
        }
        translator.Finish(sse);
        return sse.WrittenSpan.ToArray();
    }

    private static ObservedUsage Tap(byte[] sse)
    {
        using var tap = new SseUsageTap();
        tap.Observe(sse);
        tap.Complete();
        return tap.Usage;
    }

    private static string Describe(ObservedUsage u) =>
        $"in={u.InputTokens} out={u.OutputTokens} cw={u.CacheCreationInputTokens} cr={u.CacheReadInputTokens} model={u.ServedModel} " +
        $"stop={u.StopReason} error={(u.ErrorType is null ? "" : "yes")} tools=[{string.Join(",", u.ToolNames)}] completed={u.Completed}";

    private static int[] RandomSplits(int length, Random random)
    {
        var sizes = new List<int>();
        var left = length;
        while (left > 0)
        {
            var size = Math.Min(left, random.Next(4) == 0 ? 1 : random.Next(1, 300));
            sizes.Add(size);
            left -= size;
        }
        return [.. sizes];
    }
}

using System.Text;
using System.Text.Json;
using Gateway.Front.Streaming;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// The SSE usage tap fed recorded streams (from the fake upstream) and their mutations in random chunk
/// splits and split at every byte boundary: it never throws, and what it reads does not depend on how
/// the bytes were cut. On unmutated streams it reads what an independent parse of the events says.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class SseUsageTapFuzzTests(ITestOutputHelper output, RecordedStreams recorded) : IClassFixture<RecordedStreams>
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    [Fact]
    public void Recorded_streams_read_the_same_usage_as_an_independent_parse_at_every_split()
    {
        Assert.True(recorded.Streams.Count >= 5);
        foreach (var stream in recorded.Streams)
        {
            var expected = Reference(stream);
            Assert.True(expected.InputTokens > 0 || expected.OutputTokens > 0, "a recorded stream must carry usage");
            AssertSame(expected, Tap(stream, [stream.Length]), "whole");
            for (var cut = 1; cut < stream.Length; cut++)
            {
                AssertSame(expected, Tap(stream, [cut, stream.Length - cut]), $"split at {cut}");
            }
            AssertSame(expected, Tap(stream, Enumerable.Repeat(1, stream.Length).ToArray()), "byte by byte");
        }
    }

    [Fact]
    public void Mutated_streams_read_the_same_whatever_the_chunking()
    {
        var cases = FuzzRun.For(output, "sse/mutations", 10_000, Budget, (random, index) =>
        {
            var source = recorded.Streams[random.Next(recorded.Streams.Count)];
            var bytes = random.Next(50) == 0 ? HugeLine(source, random) : Mutator.Mutate(source, random);
            var whole = Tap(bytes, [bytes.Length]);
            AssertSame(whole, Tap(bytes, RandomSplits(bytes.Length, random)), "random splits");
            if (index % 20 == 0 && bytes.Length < 8_192)
            {
                for (var cut = 1; cut < bytes.Length; cut++)
                {
                    AssertSame(whole, Tap(bytes, [cut, bytes.Length - cut]), $"split at {cut}");
                }
            }
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var cases = FuzzRun.For(output, "sse/noise", 2_000, TimeSpan.FromSeconds(3), (random, index) =>
        {
            var bytes = Mutator.Noise(random, 2048);
            var whole = Tap(bytes, [bytes.Length]);
            AssertSame(whole, Tap(bytes, RandomSplits(bytes.Length, random)), "random splits");
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
    }

    /// <summary>A usage-bearing event padded past the tap's line limit (a 300 KB field): read or not, it must not depend on the chunking.</summary>
    private static byte[] HugeLine(byte[] source, Random random)
    {
        var text = Encoding.UTF8.GetString(source);
        var at = text.IndexOf("\"usage\":", StringComparison.Ordinal);
        if (at < 0)
        {
            return source;
        }
        var pad = "\"pad\":\"" + new string('x', random.Next(200_000, 400_000)) + "\",";
        return Encoding.UTF8.GetBytes(text.Insert(at, pad));
    }

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

    private static ObservedUsage Tap(byte[] bytes, int[] chunks)
    {
        using var tap = new SseUsageTap();
        var at = 0;
        foreach (var size in chunks)
        {
            tap.Observe(bytes.AsSpan(at, size));
            at += size;
        }
        Assert.Equal(bytes.Length, at);
        tap.Complete();
        return tap.Usage;
    }

    private static void AssertSame(ObservedUsage expected, ObservedUsage actual, string how)
    {
        var e = Describe(expected);
        var a = Describe(actual);
        Assert.True(e == a, $"{how}: expected {e}, read {a}");
    }

    private static string Describe(ObservedUsage u) =>
        $"in={u.InputTokens} out={u.OutputTokens} cw={u.CacheCreationInputTokens} cr={u.CacheReadInputTokens} model={u.ServedModel} " +
        $"stop={u.StopReason} error={u.ErrorType} tools=[{string.Join(",", u.ToolNames)}] completed={u.Completed}";

    /// <summary>An independent reading: events split on blank lines, data lines joined, each payload parsed with JsonDocument.</summary>
    private static ObservedUsage Reference(byte[] stream)
    {
        var usage = new ObservedUsage();
        var text = Encoding.UTF8.GetString(stream).Replace("\r\n", "\n");
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var data = string.Join("\n", block.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].TrimStart(' ')));
            if (data.Length == 0)
            {
                continue;
            }
            using var doc = JsonDocument.Parse(data);
            var root = doc.RootElement;
            switch (root.GetProperty("type").GetString())
            {
                case "message_start":
                    var message = root.GetProperty("message");
                    usage.ServedModel = message.GetProperty("model").GetString();
                    ReadUsage(message.GetProperty("usage"), usage);
                    break;
                case "message_delta":
                    ReadUsage(root.GetProperty("usage"), usage);
                    if (root.GetProperty("delta").TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String)
                    {
                        usage.StopReason = stop.GetString();
                    }
                    break;
                case "content_block_start":
                    var block0 = root.GetProperty("content_block");
                    if (block0.GetProperty("type").GetString() == "tool_use")
                    {
                        usage.ToolNames.Add(block0.GetProperty("name").GetString()!);
                    }
                    break;
                case "error":
                    usage.ErrorType = root.GetProperty("error").GetProperty("type").GetString();
                    break;
                case "message_stop":
                    usage.Completed = true;
                    break;
            }
        }
        return usage;
    }

    private static void ReadUsage(JsonElement element, ObservedUsage usage)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Number)
            {
                continue;
            }
            switch (property.Name)
            {
                case "input_tokens": usage.InputTokens = property.Value.GetInt64(); break;
                case "output_tokens": usage.OutputTokens = property.Value.GetInt64(); break;
                case "cache_creation_input_tokens": usage.CacheCreationInputTokens = property.Value.GetInt64(); break;
                case "cache_read_input_tokens": usage.CacheReadInputTokens = property.Value.GetInt64(); break;
            }
        }
    }
}

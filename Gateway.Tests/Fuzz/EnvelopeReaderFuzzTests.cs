using System.Text.Json;
using System.Text.Unicode;
using Gateway.Front.Envelope;
using Xunit.Abstractions;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// <see cref="EnvelopeReader.TryRead"/> on random bytes and on mutated real requests: it never throws,
/// and it accepts exactly the bodies an independent reading (<see cref="JsonDocument"/>) calls valid
/// requests, with the same model, stream and max_tokens; a rejection always carries a message.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class EnvelopeReaderFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(8);

    [Fact]
    public void Random_bytes_are_rejected_with_a_message_and_never_throw()
    {
        var accepted = 0;
        var cases = FuzzRun.For(output, "envelope/noise", 10_000, Budget, (random, index) =>
        {
            var bytes = Mutator.Noise(random);
            accepted += Check(bytes, random) ? 1 : 0;
        });
        Assert.True(cases >= 200, $"only {cases} cases ran");
        output.WriteLine($"{accepted} accepted");
    }

    [Fact]
    public void Mutated_real_requests_are_read_exactly_as_an_independent_parser_reads_them()
    {
        int accepted = 0, rejected = 0;
        var cases = FuzzRun.For(output, "envelope/mutations", 10_000, Budget, (random, index) =>
        {
            var bytes = Mutator.Mutate(FuzzCorpus.PickRequest(random), random);
            if (Check(bytes, random))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        });
        output.WriteLine($"{accepted} accepted, {rejected} rejected");
        Assert.True(cases >= 200, $"only {cases} cases ran");
        // The mutations must reach both sides, or the property says little.
        Assert.True(accepted > 0 && rejected > 0, $"accepted {accepted}, rejected {rejected}");
    }

    /// <summary>Runs the reader against the oracle; true when the body was accepted.</summary>
    private static bool Check(byte[] bytes, Random random)
    {
        var header = random.Next(4) == 0 ? "session-" + random.Next(1000) : null;
        var ok = EnvelopeReader.TryRead(bytes, header, out var envelope, out var error);
        var expected = Oracle(bytes);
        if (!ok)
        {
            Assert.False(string.IsNullOrWhiteSpace(error));
            Assert.True(expected is null, $"rejected a valid request ({error})");
            return false;
        }
        Assert.True(expected is not null, "accepted a body an independent parser calls invalid");
        Assert.Equal(expected.Value.Model, envelope.Model);
        Assert.Equal(expected.Value.Stream, envelope.Stream);
        Assert.Equal(expected.Value.MaxTokens, envelope.MaxTokens);
        Assert.Equal(bytes.Length, envelope.BodyBytes);
        Assert.True(envelope.CacheBreakpoints >= 0);
        if (header is not null)
        {
            Assert.Equal(header, envelope.SessionId);
        }
        if (envelope.SessionId is { } session)
        {
            // Whatever a client sends, the session id the gateway keys grains and rows by is short and printable.
            Assert.InRange(session.Length, 1, SessionIds.MaxLength);
            Assert.All(session, c => Assert.InRange(c, '!', '~'));
        }
        return true;
    }

    private readonly record struct Expected(string Model, bool Stream, long? MaxTokens);

    /// <summary>
    /// What a valid request is, read with JsonDocument: an object with at most one model/stream/max_tokens each,
    /// of the right type, and a model of 1..256 printable characters.
    /// </summary>
    private static Expected? Oracle(byte[] bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = EnvelopeReader.MaxDepth });
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // A value holding a lone surrogate escape (the model) is no string: not a request anyone can read.
                return null;
            }
        }
    }

    /// <summary>A name holding a lone surrogate escape matches nothing (the reader skips it as unknown).</summary>
    private static bool Is(JsonProperty property, string name)
    {
        try
        {
            return property.NameEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static Expected? Read(JsonElement root)
    {
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            string? model = null;
            var stream = false;
            long? maxTokens = null;
            int models = 0, streams = 0, maxes = 0;
            foreach (var property in root.EnumerateObject())
            {
                if (Is(property, "model"))
                {
                    if (property.Value.ValueKind != JsonValueKind.String || ++models > 1)
                    {
                        return null;
                    }
                    model = property.Value.GetString();
                    if (model!.Length > 256 || model.Any(char.IsControl))
                    {
                        return null;
                    }
                }
                else if (Is(property, "stream"))
                {
                    if (property.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False) || ++streams > 1)
                    {
                        return null;
                    }
                    stream = property.Value.GetBoolean();
                }
                else if (Is(property, "max_tokens"))
                {
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out var max) || max < 1 || ++maxes > 1)
                    {
                        return null;
                    }
                    maxTokens = max;
                }
            }
            return string.IsNullOrEmpty(model) ? null : new Expected(model, stream, maxTokens);
        }
    }
}

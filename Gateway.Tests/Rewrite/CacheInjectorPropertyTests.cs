using System.Diagnostics;
using System.Text;
using Gateway.Front.Rewrite;
using Xunit.Abstractions;

namespace Gateway.Tests.Rewrite;

/// <summary>
/// Random request trees from a seeded generator (so a failure replays), for a bounded time: whatever the
/// shape, the rewrite yields valid JSON, at most four breakpoints in a legal TTL order, the input plus
/// marker runs and nothing else, and rewriting its own output adds nothing.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class CacheInjectorPropertyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    [Fact]
    public void Random_request_trees_keep_every_invariant()
    {
        var seed = Environment.GetEnvironmentVariable("REWRITE_PROPERTY_SEED") is { } s ? int.Parse(s) : 20261127;
        var clock = Stopwatch.StartNew();
        int cases = 0, rewritten = 0, wraps = 0, clientInvalid = 0;
        var added = new int[5];
        while (clock.Elapsed < Budget && cases < 50_000)
        {
            var caseSeed = seed + cases;
            var generator = new RequestGenerator(new Random(caseSeed));
            var body = generator.Body();
            var policy = generator.Pick(CachePolicy.Default, CachePolicy.OneHour, CachePolicy.FiveMinutes);
            var options = generator.Chance(0.7) ? RewriteKit.NoMinimum() : new CacheInjectionOptions { DefaultMinimumCacheableTokens = generator.Next(0, 200) };
            RewriteKit.Outcome o;
            try
            {
                o = RewriteKit.Run(body, policy, options);
                var inputAcceptable = BreakpointAudit.IsAcceptable(o.Input, out _);
                if (!inputAcceptable)
                {
                    // A body the API would reject anyway is never touched.
                    Assert.False(o.Rewritten);
                    Assert.Equal(InjectionOutcome.ClientBreakpointsInvalid, o.Result.Outcome);
                    clientInvalid++;
                }
                else
                {
                    Assert.NotEqual(InjectionOutcome.ClientBreakpointsInvalid, o.Result.Outcome);
                }
                Assert.True(o.Result.BreakpointsAfter <= 4 || !o.Rewritten);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case seed {caseSeed} failed: {e.Message}\n{Encoding.UTF8.GetString(body)}");
            }
            cases++;
            if (o.Rewritten)
            {
                rewritten++;
                added[o.Result.AddedCount]++;
                wraps += MarkerDiff.InsertedRuns(o.Input, o.Output) - o.Result.AddedCount;
            }
        }
        output.WriteLine($"{cases} cases in {clock.ElapsedMilliseconds} ms (seed {seed}): {rewritten} rewritten (added 1/2/3: {added[1]}/{added[2]}/{added[3]}, {wraps} strings wrapped), {clientInvalid} invalid client bodies left alone");
        // The generator must actually reach the interesting paths.
        Assert.True(cases >= 200, $"only {cases} cases ran");
        Assert.True(added[3] > 0 && added[1] > 0 && wraps > 0 && clientInvalid > 0);
    }

    /// <summary>Builds Messages request bodies as text: random key order, whitespace, escapes, numbers and markers.</summary>
    private sealed class RequestGenerator(Random random)
    {
        private readonly StringBuilder _json = new();
        private bool _pretty;

        public int Next(int min, int max) => random.Next(min, max);

        public bool Chance(double p) => random.NextDouble() < p;

        public T Pick<T>(params T[] items) => items[random.Next(items.Length)];

        public byte[] Body()
        {
            _json.Clear();
            _pretty = Chance(0.25);
            var fields = new List<Action>
            {
                () => { Key("model"); Str(Pick("claude-sonnet-4-5", "claude-opus-5-5", "claude-haiku-4-5")); },
                () => { Key("max_tokens"); Raw(Pick("1024", "64000", "1e3")); },
                () => { Key("messages"); Messages(); },
            };
            if (Chance(0.7))
            {
                fields.Add(() => { Key("tools"); Tools(); });
            }

            if (Chance(0.8))
            {
                fields.Add(() => { Key("system"); System(); });
            }

            if (Chance(0.15))
            {
                fields.Add(() => { Key("cache_control"); Marker(); });
            }

            if (Chance(0.5))
            {
                fields.Add(() => { Key("stream"); Raw(Pick("true", "false")); });
            }

            if (Chance(0.4))
            {
                fields.Add(() => { Key("thinking"); Raw("""{"type":"enabled","budget_tokens":2048}"""); });
            }

            if (Chance(0.4))
            {
                fields.Add(() => { Key(Pick("context_management", "output_config", "x_future_field")); Unknown(2); });
            }

            if (Chance(0.3))
            {
                fields.Add(() => { Key("temperature"); Raw(Pick("1.50", "0", "-0.0", "3e2", "1E-7", "0.1000")); });
            }

            Shuffle(fields);
            Object(fields);
            return Encoding.UTF8.GetBytes(_json.ToString());
        }

        private void Tools()
        {
            var items = new List<Action>();
            var n = Next(0, 6);
            for (var i = 0; i < n; i++)
            {
                var name = "tool_" + i;
                items.Add(() =>
                {
                    var f = new List<Action>
                    {
                        () => { Key("name"); Str(name); },
                        () => { Key("description"); Text(); },
                        () => { Key("input_schema"); Raw("""{"type":"object","properties":{"cache_control":{"type":"object"},"path":{"type":"string"}}}"""); },
                    };
                    if (Chance(0.15))
                    {
                        f.Add(() => { Key("cache_control"); Marker(); });
                    }

                    if (Chance(0.15))
                    {
                        f.Add(() => { Key("defer_loading"); Raw(Pick("true", "false")); });
                    }

                    if (Chance(0.05))
                    {
                        f.Clear();
                    }

                    Shuffle(f);
                    Object(f);
                });
            }
            Array(items);
        }

        private void System()
        {
            if (Chance(0.4))
            {
                Text(allowEmpty: true);
                return;
            }
            var items = new List<Action>();
            var n = Next(0, 4);
            for (var i = 0; i < n; i++)
            {
                items.Add(() => Block("text"));
            }
            Array(items);
        }

        private void Messages()
        {
            var items = new List<Action>();
            var n = Next(1, 8);
            for (var i = 0; i < n; i++)
            {
                var role = Chance(0.08) ? "system" : i % 2 == 0 ? "user" : "assistant";
                items.Add(() =>
                {
                    var f = new List<Action>
                    {
                        () => { Key("role"); Str(role); },
                        () => { Key("content"); Content(role); },
                    };
                    Shuffle(f);
                    Object(f);
                });
            }
            Array(items);
        }

        private void Content(string role)
        {
            if (Chance(0.35))
            {
                Text(allowEmpty: true);
                return;
            }
            var items = new List<Action>();
            var n = Next(0, 4);
            for (var i = 0; i < n; i++)
            {
                var type = role == "assistant"
                    ? Pick("text", "thinking", "redacted_thinking", "tool_use")
                    : Pick("text", "text", "image", "tool_result", "document", "container_upload");
                items.Add(() => Block(type));
            }
            Array(items);
        }

        private void Block(string type)
        {
            var f = new List<Action> { () => { Key("type"); Str(type); } };
            switch (type)
            {
                case "text":
                    f.Add(() => { Key("text"); Text(allowEmpty: true); });
                    break;
                case "thinking":
                    f.Add(() => { Key("thinking"); Text(); });
                    f.Add(() => { Key("signature"); Str("EqQBCkYIBxgCKkA+sig=="); });
                    break;
                case "redacted_thinking":
                    f.Add(() => { Key("data"); Str("EmwKAhgB"); });
                    break;
                case "tool_use":
                    f.Add(() => { Key("id"); Str("toolu_01"); });
                    f.Add(() => { Key("name"); Str("tool_0"); });
                    f.Add(() => { Key("input"); Raw("""{"cache_control":{"type":"ephemeral"},"n":1.50}"""); });
                    break;
                case "image":
                    f.Add(() => { Key("source"); Raw("""{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}"""); });
                    break;
                case "document":
                    f.Add(() => { Key("source"); Raw("""{"type":"text","media_type":"text/plain","data":"doc"}"""); });
                    break;
                case "tool_result":
                    f.Add(() => { Key("tool_use_id"); Str("toolu_01"); });
                    f.Add(() =>
                    {
                        Key("content");
                        if (Chance(0.5))
                        {
                            Text();
                        }
                        else
                        {
                            var nested = new List<Action>();
                            var n = Next(0, 3);
                            for (var i = 0; i < n; i++)
                            {
                                nested.Add(() => Block("text"));
                            }
                            Array(nested);
                        }
                    });
                    break;
                case "container_upload":
                    f.Add(() => { Key("file_id"); Str("file_01"); });
                    break;
            }
            if (type != "thinking" && type != "redacted_thinking" && Chance(0.2))
            {
                f.Add(() => { Key("cache_control"); Marker(); });
            }
            if (Chance(0.1))
            {
                f.Add(() => { Key("x_unknown"); Unknown(1); });
            }
            Shuffle(f);
            Object(f);
        }

        private void Marker()
        {
            if (Chance(0.05))
            {
                Raw("null");
                return;
            }
            var f = new List<Action> { () => { Key("type"); Str("ephemeral"); } };
            if (Chance(0.3))
            {
                var ttl = Pick("1h", "5m", "1h");
                f.Add(() => { Key("ttl"); Str(ttl); });
            }
            Shuffle(f);
            Object(f);
        }

        private void Unknown(int depth)
        {
            switch (Next(0, depth > 0 ? 6 : 4))
            {
                case 0: Raw(Pick("1.50", "3e2", "-12", "0.000", "1E+2", "12345678901234567890")); break;
                case 1: Raw(Pick("true", "false", "null")); break;
                case 2: Text(); break;
                case 3: Str("\\u00e9\\/\\\"\\\\"); break;
                case 4:
                    var items = new List<Action>();
                    for (var i = Next(0, 3); i > 0; i--)
                    {
                        items.Add(() => Unknown(depth - 1));
                    }

                    Array(items);
                    break;
                default:
                    var fields = new List<Action>();
                    for (var i = Next(0, 3); i > 0; i--)
                    {
                        var key = Pick("a", "b\\u0063", "cache_control", "é");
                        fields.Add(() => { Key(key); Unknown(depth - 1); });
                    }
                    Object(fields);
                    break;
            }
        }

        private void Text(bool allowEmpty = false)
        {
            if (allowEmpty && Chance(0.08))
            {
                Str("");
                return;
            }
            Str(Pick("Hello", "Line\\nbreak", "Caf\\u00e9 \\ud83d\\ude00", "quote \\\" and slash \\/", "tab\\t", "ünïcödé", new string('x', Next(1, 400))));
        }

        private void Object(List<Action> fields)
        {
            _json.Append('{');
            for (var i = 0; i < fields.Count; i++)
            {
                if (i > 0)
                {
                    _json.Append(',');
                }

                Space();
                fields[i]();
            }
            Space();
            _json.Append('}');
        }

        private void Array(List<Action> items)
        {
            _json.Append('[');
            for (var i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    _json.Append(',');
                }

                Space();
                items[i]();
            }
            Space();
            _json.Append(']');
        }

        private void Key(string name)
        {
            _json.Append('"').Append(name).Append('"');
            Space();
            _json.Append(':');
            Space();
        }

        /// <summary>A string whose content is already JSON-escaped text.</summary>
        private void Str(string escaped) => _json.Append('"').Append(escaped).Append('"');

        private void Raw(string json) => _json.Append(json);

        private void Space()
        {
            if (_pretty && Chance(0.5))
            {
                _json.Append(Pick(" ", "\n  ", "\t", "\r\n"));
            }
        }

        private void Shuffle<T>(List<T> list)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
    }
}

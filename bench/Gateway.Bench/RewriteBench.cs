using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.FakeUpstream;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Rewrite;
using Gateway.Grains.Pricing;

namespace Gateway.Bench;

/// <summary>
/// Cache injection: what the rewrite costs per body size, and what it saves over a 30-turn Claude Code
/// session. Bodies are built from the recorded Claude Code request (Gateway.Tests/Fixtures/claude-code/
/// messages-after-tool.json) by appending tool_use/tool_result turns.
/// Usage: dotnet run -c Release --project bench/Gateway.Bench -- rewrite [--iterations 2000] [--output file.md]
/// </summary>
internal static class RewriteBench
{
    private const string FixturePath = "Gateway.Tests/Fixtures/claude-code/messages-after-tool.json";
    private static readonly int[] Sizes = [50_000, 200_000, 1_000_000];
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>The <c>rewrite</c> command: arguments after the word <c>rewrite</c>.</summary>
    public static async Task RunCommandAsync(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        var iterations = int.Parse(Str("--iterations") ?? "2000", CultureInfo.InvariantCulture);
        var text = new StringBuilder();
        text.AppendLine("`dotnet run -c Release --project bench/Gateway.Bench -- rewrite" + (args.Length > 0 ? " " + string.Join(' ', args) : "") + "`");
        text.AppendLine();
        text.AppendLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}, "
            + $"server GC {System.Runtime.GCSettings.IsServerGC}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; load average at start {LoadAverage()}.");
        text.AppendLine();
        text.Append(CostTable(iterations));
        text.AppendLine();
        text.Append(SavingTable());
        text.AppendLine();
        text.AppendLine($"Load average at the end: {LoadAverage()}.");
        Console.WriteLine(text);
        if (Str("--output") is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, text.ToString());
        }
    }

    /// <summary>The 1/5/15-minute load average (Linux), so a noisy tail can be told from a slow path.</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static string CostTable(int iterations)
    {
        var options = new CacheInjectionOptions();
        var injector = new CacheInjector(options);
        var injection = new CacheInjection(injector);
        var recorded = JsonNode.Parse(File.ReadAllBytes(Path.Combine(RepoRoot(), FixturePath)))!;
        var model = (string)recorded["model"]!;

        var text = new StringBuilder();
        text.AppendLine($"Rewrite cost per body ({iterations} timed operations per row for 50/200 KB, a quarter of that for 1 MB, after {WarmUp.TotalSeconds:0} s of warm-up; "
            + "one thread; allocation = bytes allocated on the thread per operation, the output buffer excluded where it is reused):");
        text.AppendLine();
        text.AppendLine("| body | path | median µs | p99 µs | MB/s (median) | allocated B/op |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var size in Sizes)
        {
            var turns = TurnsFor(recorded, size);
            var claudeCode = Encoding.UTF8.GetBytes(Session(recorded, turns, keepClientMarkers: true).ToJsonString(Compact));
            var sdk = Encoding.UTF8.GetBytes(Session(recorded, turns, keepClientMarkers: false).ToJsonString(Compact));
            using var rewrittenOnce = new PooledBufferWriter(claudeCode.Length + 256);
            injector.TryRewrite(claudeCode, model, CachePolicy.Default, rewrittenOnce, out _);
            var full = rewrittenOnce.WrittenSpan.ToArray(); // already at 4: the no-change path
            var n = size >= 1_000_000 ? Math.Max(50, iterations / 4) : iterations;
            var label = $"{claudeCode.Length / 1000.0:0} KB ({turns} added turns)";

            using var output = new PooledBufferWriter(sdk.Length + 1024);
            var plan = injector.Plan(claudeCode, model, CachePolicy.Default);
            var sdkPlan = injector.Plan(sdk, model, CachePolicy.Default);
            Check(plan.Added == BreakpointSpots.Tools && sdkPlan.AddedCount == 3, "unexpected plans for the bench bodies");

            Row(text, label, "TryRewrite, Claude Code body (+1: tools)", claudeCode.Length, n, () =>
            {
                output.Clear();
                injector.TryRewrite(claudeCode, model, CachePolicy.Default, output, out _);
            });
            Row(text, label, "TryRewrite, same body without client markers (+3)", sdk.Length, n, () =>
            {
                output.Clear();
                injector.TryRewrite(sdk, model, CachePolicy.Default, output, out _);
            });
            Row(text, label, "TryRewrite, nothing to add (already 4: plan only)", full.Length, n, () =>
            {
                output.Clear();
                injector.TryRewrite(full, model, CachePolicy.Default, output, out _);
            });
            Row(text, label, "CacheInjection.Apply (+1, incl. new pooled RequestBody)", claudeCode.Length, n, () =>
            {
                using var body = RequestBody.FromBytes(claudeCode);
                using var rewritten = injection.Apply(body, Envelope(model, claudeCode.Length), CachePolicy.Default, out _);
            }, note: " (incl. copying the input into a RequestBody)");
            // The request path's steps 4 and 5 (envelope, plan, splice), as walked before and since the planner rides on the envelope pass.
            using var received = RequestBody.FromBytes(claudeCode);
            Row(text, label, "envelope pass, then the planner's own pass + splice (two passes)", claudeCode.Length, n, () =>
            {
                EnvelopeReader.TryRead(received.Span, null, out var envelope, out _);
                using var rewritten = injection.Apply(received, envelope, CachePolicy.Default, out _);
            });
            Row(text, label, "envelope pass carrying the planner + splice (one pass, the request path)", claudeCode.Length, n, () =>
            {
                var sections = BreakpointPlanner.Sections.Start();
                EnvelopeReader.TryRead(received.Span, null, ref sections, out var envelope, out _);
                injection.TryRewrite(received, envelope, CachePolicy.Default, ref sections, out var rewritten, out _);
                rewritten?.Dispose();
            });
            Row(text, label, "alternative: Utf8JsonReader→Utf8JsonWriter token copy (+1, after planning)", claudeCode.Length, n, () =>
            {
                output.Clear();
                var p = injector.Plan(claudeCode, model, CachePolicy.Default);
                TokenCopyRewriter.Write(claudeCode, p, output);
            });
            Row(text, label, "floor: memcpy of the body", claudeCode.Length, n, () =>
            {
                output.Clear();
                claudeCode.CopyTo(output.GetSpan(claudeCode.Length));
                output.Advance(claudeCode.Length);
            });
        }
        return text.ToString();
    }

    private static RequestEnvelope Envelope(string model, int length) => new(model, true, 32000, null, null, length);

    private static void Row(StringBuilder text, string body, string path, int bytes, int iterations, Action op, string note = "")
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < WarmUp)
        {
            op();
        }
        var samples = new double[iterations];
        GC.Collect();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            op();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (double)iterations;
        Array.Sort(samples);
        var median = samples[samples.Length / 2];
        var p99 = samples[Math.Min(samples.Length - 1, (int)Math.Ceiling(samples.Length * 0.99) - 1)];
        text.AppendLine($"| {body} | {path} | {median:0.0} | {p99:0.0} | {bytes / median:0} | {allocated:0}{note} |");
    }

    /// <summary>
    /// The modelled saving: 30 consecutive requests of one session (the recorded body is turn 1; each
    /// later one appends an assistant tool_use and a user tool_result), run through the fake upstream's
    /// prompt-cache simulation (prefix hash per block boundary, 20-block lookback, the model's minimum,
    /// 4 bytes per token) and priced with the price table (cache write 1.25×, read 0.1× input).
    /// </summary>
    private static string SavingTable()
    {
        const int Turns = 30;
        var recorded = JsonNode.Parse(File.ReadAllBytes(Path.Combine(RepoRoot(), FixturePath)))!;
        var model = (string)recorded["model"]!;
        var options = new CacheInjectionOptions();
        var injector = new CacheInjector(options);
        var prices = new PriceTable(Microsoft.Extensions.Options.Options.Create(new PricingOptions()));
        var price = prices.For(model);
        var minimum = injector.MinimumCacheableTokens(model);

        var text = new StringBuilder();
        text.AppendLine($"Modelled input cost of a {Turns}-request Claude Code session (model `{model}`: ${price.InputPerMTok}/MTok input, "
            + $"write ${price.CacheWrite}, read ${price.CacheRead}; minimum cacheable prefix {minimum} tokens; requests 20 s apart, so 5-minute entries stay live). "
            + "Turn 1 is the recorded body; each later turn appends a tool_use and a 1–4 KB tool_result. "
            + "Tokens are the fake upstream's estimate (body bytes / 4); cache reads and writes follow its simulator.");
        text.AppendLine();
        text.AppendLine("| client | gateway | requests | uncached input tok | cache write tok | cache read tok | input cost USD | vs. no injection |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var keepMarkers in new[] { true, false })
        {
            var bodies = Enumerable.Range(0, Turns)
                .Select(turn => Encoding.UTF8.GetBytes(Session(recorded, turn, keepMarkers).ToJsonString(Compact)))
                .ToList();
            var client = keepMarkers ? "Claude Code (its own 3 breakpoints, rolling)" : "same session, no client breakpoints (SDK/agent)";
            decimal? baseline = null;
            foreach (var inject in new[] { false, true })
            {
                var (input, write, read, cost) = Simulate(bodies, injector, model, minimum, price, inject);
                baseline ??= cost;
                var versus = inject ? $"{(cost - baseline.Value) / baseline.Value:+0.0%;-0.0%;0.0%} (${cost - baseline.Value:0.0000})" : "—";
                text.AppendLine($"| {client} | {(inject ? "injection on" : "injection off")} | {Turns} | {input:N0} | {write:N0} | {read:N0} | {cost:0.0000} | {versus} |");
            }
        }
        text.AppendLine();
        text.Append(NewSessionsTable(injector, price, minimum));
        return text.ToString();
    }

    /// <summary>
    /// Where the added tools breakpoint pays for Claude Code: across sessions. Claude Code's first
    /// breakpoint sits after system[0], a billing header whose 3-hex suffix changes with the prompt, so
    /// a new session cannot read another session's prefix; a breakpoint on the tools, which come before
    /// it, can. Ten sessions started within five minutes, each one's first request (the recorded
    /// main-turn body with its own suffix and prompt).
    /// </summary>
    private static string NewSessionsTable(CacheInjector injector, ModelPrice price, int minimum)
    {
        const int Sessions = 10;
        var recorded = JsonNode.Parse(File.ReadAllBytes(Path.Combine(RepoRoot(), "Gateway.Tests/Fixtures/claude-code/messages-main-turn.json")))!;
        var model = (string)recorded["model"]!;
        var bodies = Enumerable.Range(0, Sessions).Select(i =>
        {
            var body = recorded.DeepClone();
            body["system"]![0]!["text"] = $"x-anthropic-billing-header: cc_version=2.1.332.{0x3a0 + i * 37:x3}; cc_entrypoint=sdk-cli;";
            var prompt = body["messages"]![0]!["content"]!.AsArray()[^1]!;
            prompt["text"] = $"Reply with the word PONG {i}";
            return Encoding.UTF8.GetBytes(body.ToJsonString(Compact));
        }).ToList();

        var text = new StringBuilder();
        text.AppendLine($"Across sessions: the first request of {Sessions} new Claude Code sessions started 20 s apart (recorded main-turn body, `{model}`; "
            + "each with its own billing-header suffix in system[0] and its own prompt). Modelled as above; this assumes the API keeps system[0] in the cached prefix, as the fake does.");
        text.AppendLine();
        text.AppendLine("| client | gateway | requests | uncached input tok | cache write tok | cache read tok | input cost USD | vs. no injection |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        decimal? baseline = null;
        foreach (var inject in new[] { false, true })
        {
            var (input, write, read, cost) = Simulate(bodies, injector, model, minimum, price, inject);
            baseline ??= cost;
            var versus = inject ? $"{(cost - baseline.Value) / baseline.Value:+0.0%;-0.0%;0.0%} (${cost - baseline.Value:0.0000})" : "—";
            text.AppendLine($"| Claude Code, {Sessions} new sessions | {(inject ? "injection on (+tools)" : "injection off")} | {Sessions} | {input:N0} | {write:N0} | {read:N0} | {cost:0.0000} | {versus} |");
        }
        return text.ToString();
    }

    /// <summary>
    /// Sends the bodies, 20 s apart, through the fake upstream's cache simulator (each rewritten first
    /// when <paramref name="inject"/>) and returns the input tokens by kind and their cost.
    /// </summary>
    private static (long Input, long Write, long Read, decimal Cost) Simulate(IReadOnlyList<byte[]> bodies, CacheInjector injector,
        string model, int minimum, ModelPrice price, bool inject)
    {
        var simulator = new PromptCacheSimulator();
        var start = DateTimeOffset.UtcNow;
        long input = 0, write = 0, read = 0;
        for (var i = 0; i < bodies.Count; i++)
        {
            var body = bodies[i];
            if (inject)
            {
                using var output = new PooledBufferWriter(body.Length + 256);
                if (injector.TryRewrite(body, model, CachePolicy.Default, output, out _))
                {
                    body = output.WrittenSpan.ToArray();
                }
            }
            using var doc = JsonDocument.Parse(body);
            Check(PromptCacheSimulator.CountMarkers(doc.RootElement) <= 4, "more than 4 breakpoints");
            var usage = simulator.Apply(doc.RootElement, model, minimum, start.AddSeconds(20 * i));
            input += Math.Max(0, TokenEstimate.FromBytes(body.Length) - usage.Creation - usage.Read);
            write += usage.Creation;
            read += usage.Read;
        }
        return (input, write, read, (input * price.InputPerMTok + write * price.CacheWrite + read * price.CacheRead) / 1_000_000m);
    }

    /// <summary>Appended turns needed for a body of at least <paramref name="size"/> bytes.</summary>
    private static int TurnsFor(JsonNode recorded, int size)
    {
        int Size(int turns) => Encoding.UTF8.GetByteCount(Session(recorded, turns, keepClientMarkers: true).ToJsonString(Compact));
        int low = 0, high = 1;
        while (Size(high) < size)
        {
            low = high;
            high *= 2;
        }
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (Size(mid) < size)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }

    /// <summary>
    /// The recorded body with <paramref name="turns"/> tool_use/tool_result pairs appended. With
    /// <paramref name="keepClientMarkers"/>, Claude Code's pattern is kept: its two system breakpoints
    /// stay and its message breakpoint moves to the newest tool_result; otherwise every marker is removed.
    /// </summary>
    private static JsonNode Session(JsonNode recorded, int turns, bool keepClientMarkers)
    {
        var body = recorded.DeepClone();
        var messages = body["messages"]!.AsArray();
        var random = new Random(4242);
        for (var t = 1; t <= turns; t++)
        {
            var id = $"toolu_bench_{t:D4}";
            messages.Add(JsonNode.Parse($$$"""{"role":"assistant","content":[{"type":"text","text":"Reading the next file ({{{t}}})."},{"type":"tool_use","id":"{{{id}}}","name":"Read","input":{"file_path":"/tmp/cc-research/work/src/file_{{{t}}}.cs"}}]}"""));
            var file = new StringBuilder();
            var lines = random.Next(12, 50); // about 1–4 KB of file text
            for (var line = 1; line <= lines; line++)
            {
                file.Append(CultureInfo.InvariantCulture, $"{line,6}\t    public int Method{t}_{line}(int value) => value * {random.Next(1000)} + \"é\".Length; // step {line}\n");
            }
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(new JsonObject { ["tool_use_id"] = id, ["type"] = "tool_result", ["content"] = file.ToString() }),
            });
        }
        if (!keepClientMarkers)
        {
            Strip(body);
        }
        else if (turns > 0)
        {
            // Claude Code keeps one rolling message breakpoint on the newest tool_result.
            foreach (var message in messages)
            {
                if (message!["content"] is JsonArray blocks)
                {
                    foreach (var block in blocks)
                    {
                        (block as JsonObject)?.Remove("cache_control");
                    }
                }
            }
            messages[^1]!["content"]![0]!["cache_control"] = new JsonObject { ["type"] = "ephemeral" };
        }
        return body;
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                o.Remove("cache_control");
                foreach (var (_, child) in o.ToList())
                {
                    Strip(child);
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Strip(child);
                }
                break;
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Cluster.sln not found above the current directory");
    }
}

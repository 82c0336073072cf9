using System.Runtime.InteropServices;
using Gateway.FakeUpstream;

// The fake Anthropic (and OpenAI) API on its own, for benchmarks and multi-process tests:
// dotnet run --project Gateway.FakeUpstream -- --urls http://127.0.0.1:9100
//   [--EventDelayMs 20] [--OutputTokens 50] [--RequestsPerMinutePerKey 60]
var configuration = new ConfigurationBuilder().AddCommandLine(args).Build();
var options = new FakeUpstreamOptions();
configuration.Bind(options);
options.Url = configuration["urls"] ?? configuration["Url"] ?? "http://127.0.0.1:9100";

await using var server = await FakeUpstreamServer.StartAsync(options);
Console.WriteLine($"Fake Anthropic upstream listening on {server.BaseAddress}");

var stopped = new TaskCompletionSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.TrySetResult(); });
await stopped.Task;

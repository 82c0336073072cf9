using Gateway.Bench;

// Usage: dotnet run -c Release --project bench/Gateway.Bench -- [--requests 2000] [--warmup 300]
// Starts the fake upstream and the gateway as separate processes on loopback, then measures the
// same requests against both, interleaved, so machine noise hits both sides alike.
var options = BenchOptions.Parse(args);
await using var systems = await SystemsUnderTest.StartAsync(options);
var results = await LatencyBench.RunAsync(systems, options);
var table = Report.Markdown(results, options);
Console.WriteLine(table);
if (options.Output is { } path)
{
    await File.WriteAllTextAsync(path, table);
}

using Gateway.Bench;

// Usage: dotnet run -c Release --project bench/Gateway.Bench -- [--requests 2000] [--warmup 300] [--postgres "<conn>"]
//        [--concurrency 32] [--seconds 10] [--output bench/results/latest.md]
// Starts the fake upstream and two gateways (pass-through; virtual keys) as separate processes on
// loopback and measures them side by side in one run.
// Or: dotnet run -c Release --project bench/Gateway.Bench -- audit --postgres "<conn>" [--rows 200000]
// (the audit writer alone, against a Postgres server; see AuditBench).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- rewrite [--iterations 2000]
// (cache-breakpoint injection: rewrite cost per body size and the modelled 30-turn saving; see RewriteBench).
if (args is ["audit", .. var auditArgs])
{
    await AuditBench.RunCommandAsync(auditArgs);
    return;
}
if (args is ["rewrite", .. var rewriteArgs])
{
    await RewriteBench.RunCommandAsync(rewriteArgs);
    return;
}

var options = BenchOptions.Parse(args);
await using var systems = await SystemsUnderTest.StartAsync(options);
var results = await LatencyBench.RunAsync(systems, options);
results.AddRange(await ThroughputBench.RunAsync(systems, options));
var table = Report.Markdown(results, options, "dotnet run -c Release --project bench/Gateway.Bench -- " + string.Join(' ', args));
Console.WriteLine(table);
if (options.Output is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    await File.WriteAllTextAsync(path, table);
}

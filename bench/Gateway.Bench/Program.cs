using Gateway.Bench;

// Usage: bench/run.sh (installs nginx and Portkey, builds, then runs this) or
//   dotnet run -c Release --project bench/Gateway.Bench -- [--postgres "<conn>"] [--output bench/results/latest.md]
//     [--requests 1500] [--warmup 200] [--concurrency 32] [--seconds 9] [--rounds 3] [--streams 80]
//     [--sessions 10000] [--audit-rows 100000] [--open-streams 10000] [--stream-event-ms 2500] [--plot file.png] [--quick]
//     [--front-env "NAME=value;NAME=value"] (extra environment for every gateway front, e.g. a thread-pool setting)
// Starts the fake upstream, nginx, Portkey and this gateway (pass-through; everything on: a silo and two
// fronts) as separate processes on loopback and measures them side by side in one run (see Report).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- audit --postgres "<conn>" [--rows 200000]
// (the audit writer alone, against a Postgres server; see AuditBench).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- rewrite [--iterations 2000]
// (cache-breakpoint injection: rewrite cost per body size and the modelled 30-turn saving; see RewriteBench).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- load --url http://127.0.0.1:8080/ --key <secret>
//     [--body small|large|small-stream|large-stream] [--concurrency 8] [--seconds 20] [--pid <pid,...>]
// (one shape at a fixed concurrency, to hold while dotnet-trace watches a front; see docs/performance.md).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- streams --url http://127.0.0.1:8080/ --key <secret> --pid <pid>
//     [--open-streams 10000] [--stream-event-ms 2500] (the open-streams scenario against one running system).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- bare-forwarder --port 8081 --upstream http://127.0.0.1:8080/
// (Kestrel and YARP's forwarder alone: the .NET floor the bench measures beside the gateway; see BareForwarder).
// Or: dotnet run -c Release --project bench/Gateway.Bench -- trace-report file.nettrace [--top 25]
// (a dotnet-trace file as markdown tables: CPU frames, allocations; see docs/performance.md).
// Or: bash bench/accuracy.sh [--fronts 1,2,4] [--limits requests,input,output,session]
//     [--demand 1.2,50,closed] [--seconds 45] [--runs 10] [--parallel 5] [--clients 12] [--rpm 240] [--session-requests 120]
//     [--from-full] [--append bench/results/latest.md]
// (how much of what a limit allows the cluster admits under contention; see AccuracyBench).
if (args is ["audit", .. var auditArgs])
{
    await AuditBench.RunCommandAsync(auditArgs);
    return;
}
if (args is ["accuracy", .. var accuracyArgs])
{
    await AccuracyBench.RunCommandAsync(accuracyArgs);
    return;
}
if (args is ["load", .. var loadArgs])
{
    await ProfileLoad.RunCommandAsync(loadArgs);
    return;
}
if (args is ["streams", .. var streamArgs])
{
    await OpenStreamsBench.RunCommandAsync(streamArgs);
    return;
}
if (args is ["trace-report", .. var traceArgs])
{
    TraceReport.RunCommand(traceArgs);
    return;
}
if (args is ["bare-forwarder", .. var forwarderArgs])
{
    await BareForwarder.RunCommandAsync(forwarderArgs);
    return;
}
if (args is ["rewrite", .. var rewriteArgs])
{
    await RewriteBench.RunCommandAsync(rewriteArgs);
    return;
}

var options = BenchOptions.Parse(args);
Console.Error.WriteLine($"bench: open-file limit {FileLimits.RaiseToHard()} (the systems inherit it)");
await using var machine = new Machine();
string command;
RunResults run;
await using (var systems = await SystemsUnderTest.StartAsync(options))
{
    Console.Error.WriteLine("bench: systems: " + string.Join("; ", systems.Targets.Select(t => $"{t.Name} at {string.Join(", ", t.Addresses.Select(a => a.ToString()))}")));
    await LoadBench.WarmUpAsync(systems, TimeSpan.FromSeconds(options.Seconds >= 3 ? 1 : 0.25));
    var results = await LatencyBench.RunAsync(systems, options);
    results.AddRange(await LoadBench.RunAsync(systems, options));
    results.AddRange(await StreamingBench.RunAsync(systems, options));
    var memory = await MemoryBench.RunAsync(systems, options);
    var openStreams = options.OpenStreams > 0 ? await OpenStreamsBench.RunAsync(systems.OpenStreamTargets, options) : [];
    command = Environment.GetEnvironmentVariable("GATEWAY_BENCH_COMMAND")
        ?? "dotnet run -c Release --project bench/Gateway.Bench -- " + string.Join(' ', args.Select(a => a.Contains(' ') || a.Contains(';') ? $"\"{a}\"" : a));
    run = new RunResults(results, memory, null, options, command, machine.Describe(systems.NginxVersion, systems.PortkeyVersion)) { OpenStreams = openStreams };
}
if (options.Postgres is { } postgres)
{
    // After the systems are gone, so the writer has the machine to itself (as in the audit subcommand).
    Console.Error.WriteLine($"bench: audit writer, {options.AuditRows} rows");
    run = run with { Audit = await AuditBench.RunAsync(postgres, options.AuditRows, repeat: 1) };
}
var report = Report.Markdown(run);
Console.WriteLine(report);
if (options.Output is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    await File.WriteAllTextAsync(path, report);
}
if (options.Plot is { } plot)
{
    LatencyPlot.Save(run.Measurements, plot, machine.Busy ? "noisy run: the machine was busy with other work (see latest.md)" : null);
    Console.Error.WriteLine($"bench: plot written to {plot}");
}

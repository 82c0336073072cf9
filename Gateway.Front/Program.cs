using Gateway.Front.Hosting;

// `Gateway.Front fake-upstream --urls http://127.0.0.1:9100` serves only the fake Anthropic API
// (benchmarks, multi-process tests); with no arguments the gateway itself runs.
if (args.Length > 0 && args[0] == "fake-upstream")
{
    await FakeUpstreamHost.RunAsync(args[1..]);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayFront();

var app = builder.Build();
app.MapGatewayFront();
app.Run();


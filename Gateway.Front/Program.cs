using Gateway.Front.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayFront();

var app = builder.Build();
app.MapGatewayFront();
app.Run();

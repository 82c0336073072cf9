using Gateway.Front.Admission;
using Gateway.Front.Auth;
using Gateway.Front.Pipeline;
using Gateway.Front.Rewrite;
using Gateway.Front.Settlement;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Pipeline;

/// <summary>
/// Pass-through mode (no virtual keys) runs the same <see cref="MessagesPipeline"/> with do-nothing steps
/// registered in their place, not with steps missing from the container.
/// </summary>
public sealed class PassThroughStepsTests
{
    private static readonly Uri NoUpstream = new("http://127.0.0.1:9/");

    [Fact]
    public async Task Pass_through_mode_registers_the_do_nothing_steps()
    {
        await using var front = await FrontHost.StartAsync(NoUpstream);
        var services = front.Services;

        Assert.NotNull(services.GetRequiredService<MessagesPipeline>());
        Assert.IsType<PassThroughAuthentication>(services.GetRequiredService<ICallerAuthentication>());
        Assert.IsType<PassThroughAdmission>(services.GetRequiredService<IRequestAdmission>());
        Assert.IsType<NoSessionSettlements>(services.GetRequiredService<ISessionSettlements>());
        Assert.IsType<NoSettlement>(services.GetRequiredService<IRequestSettlement>());
        // Injection is on by default: the real rewrite step, as with keys.
        Assert.IsType<CacheInjection>(services.GetRequiredService<IRequestRewrite>());
        Assert.Null(services.GetService<RequestAdmission>());
    }

    [Fact]
    public async Task Pass_through_mode_with_injection_off_skips_the_rewrite_step()
    {
        await using var front = await FrontHost.StartAsync(NoUpstream, new Dictionary<string, string?> { ["CacheInjection:Enabled"] = "false" });

        Assert.IsType<NoRequestRewrite>(front.Services.GetRequiredService<IRequestRewrite>());
    }
}

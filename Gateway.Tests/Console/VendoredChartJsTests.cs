using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// The chart library is Chart.js from npm, not a copy of unknown origin: the committed file must be byte-identical to
/// the one the pinned npm package ships (.ci/clients, installed by .ci/run), and the front must serve exactly it.
/// Vendored rather than bundled by an npm step in the front's build, so a fresh machine with only the .NET SDK builds
/// and runs the gateway (see vendor/chartjs/README.md).
/// </summary>
public sealed class VendoredChartJsTests(ConsoleFrontFixture fixture) : IClassFixture<ConsoleFrontFixture>
{
    [Fact]
    public async Task The_vendored_file_is_the_npm_packages_file_byte_for_byte()
    {
        var vendored = await File.ReadAllBytesAsync(ConsolePaths.VendoredChartJs);
        Assert.StartsWith("/*!\n * Chart.js v4.6.2\n", System.Text.Encoding.UTF8.GetString(vendored, 0, 40), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(ConsolePaths.VendoredChartJs)!, "LICENSE.md")), "Chart.js's licence is committed beside it");
        if (!File.Exists(ConsolePaths.NpmChartJs))
        {
            // Without `npm ci --prefix .ci/clients` (CI always runs it) there is nothing to compare with.
            return;
        }
        Assert.Equal(await File.ReadAllBytesAsync(ConsolePaths.NpmChartJs), vendored);

        var pinned = Json.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, ".ci", "clients", "package.json")))
            .GetProperty("dependencies").GetProperty("chart.js").GetString();
        Assert.Equal("4.6.2", pinned);
    }

    [Fact]
    public async Task The_front_serves_the_vendored_file()
    {
        using var browser = fixture.Browser();
        var served = await browser.GetByteArrayAsync("console/vendor/chartjs/chart.umd.min.js");
        Assert.Equal(await File.ReadAllBytesAsync(ConsolePaths.VendoredChartJs), served);
    }
}

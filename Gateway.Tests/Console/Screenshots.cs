using Gateway.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gateway.Tests.Console;

/// <summary>
/// Screenshots of the console: always into a temp folder (each asserted to be a non-empty PNG), and into
/// <c>docs/console/</c> too when <c>GATEWAY_DOCS_SCREENSHOTS=1</c>, which is how the pictures in docs/console.md are made.
/// </summary>
internal sealed class Screenshots
{
    public const string DocsVariable = "GATEWAY_DOCS_SCREENSHOTS";

    private static readonly byte[] s_pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public string Folder { get; } = Directory.CreateTempSubdirectory("gateway-console-").FullName;

    private static string? DocsFolder =>
        Environment.GetEnvironmentVariable(DocsVariable) == "1" ? Path.Combine(RepoPaths.Root, "docs", "console") : null;

    public async Task TakeAsync(IPage page, string name)
    {
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Animations = ScreenshotAnimations.Disabled });
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.True(bytes.Length > 2048, $"{name}.png is {bytes.Length} bytes");
        Assert.Equal(s_pngSignature, bytes[..8]);
        if (DocsFolder is { } docs)
        {
            Directory.CreateDirectory(docs);
            File.Copy(path, Path.Combine(docs, name + ".png"), overwrite: true);
        }
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Gateway.Front.Console;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// The console as a browser fetches it from a real front: every source file served byte for byte from the assembly,
/// each answer with the strict CSP and no framing, unknown files a 404, nothing inline for the CSP to have to allow.
/// </summary>
public sealed partial class ConsoleFilesTests(ConsoleFrontFixture fixture) : IClassFixture<ConsoleFrontFixture>
{
    [Fact]
    public async Task The_bare_path_redirects_and_the_page_is_served_with_the_security_headers()
    {
        using var browser = fixture.Browser();
        using var bare = await browser.GetAsync("console");
        Assert.True(bare.StatusCode is HttpStatusCode.Moved or HttpStatusCode.Redirect or HttpStatusCode.MovedPermanently,
            $"expected a redirect to /console/, got {(int)bare.StatusCode}");
        Assert.EndsWith("/console/", bare.Headers.Location!.ToString(), StringComparison.Ordinal);

        using var page = await browser.GetAsync("console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        AssertSecurityHeaders(page);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<main id=\"main\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_console_file_is_served_as_committed_with_the_security_headers()
    {
        using var browser = fixture.Browser();
        var files = ConsolePaths.Files().ToList();
        Assert.Contains("js/auth.js", files);
        Assert.Contains("vendor/chartjs/chart.umd.min.js", files);
        foreach (var file in files)
        {
            using var response = await browser.GetAsync("console/" + file);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{file}: {(int)response.StatusCode}");
            AssertSecurityHeaders(response);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(ConsolePaths.WebRoot, file)), await response.Content.ReadAsByteArrayAsync());
            if (file.EndsWith(".js", StringComparison.Ordinal))
            {
                Assert.Equal("text/javascript", response.Content.Headers.ContentType!.MediaType);
            }
        }
    }

    [Theory]
    [InlineData("console/nope.js")]
    [InlineData("console/js/")]
    [InlineData("console/vendor/chartjs/chart.umd.min.js.map")]
    [InlineData("console/Gateway.Front.dll")]
    public async Task Anything_else_under_console_is_a_404_with_the_same_headers(string path)
    {
        using var browser = fixture.Browser();
        using var response = await browser.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_console_can_be_switched_off()
    {
        await using var front = await FrontHost.StartWithKeysAsync(fixture.Upstream.BaseAddress,
            new Dictionary<string, string?> { ["Console:Enabled"] = "false" });
        using var browser = new HttpClient { BaseAddress = front.BaseAddress };
        using var response = await browser.GetAsync("console/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    /// <summary>The CSP allows no inline script or style, so none may be written: handlers, style attributes, script bodies.</summary>
    [Fact]
    public void The_pages_have_nothing_inline_and_build_no_html_from_strings()
    {
        foreach (var file in ConsolePaths.Files().Where(f => f.EndsWith(".html", StringComparison.Ordinal)))
        {
            var html = File.ReadAllText(Path.Combine(ConsolePaths.WebRoot, file));
            Assert.DoesNotMatch(InlineScript(), html);
            Assert.DoesNotMatch(InlineHandler(), html);
            Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotMatch(StyleAttribute(), html);
            Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var file in ConsolePaths.Files().Where(f => f.StartsWith("js/", StringComparison.Ordinal)))
        {
            var js = File.ReadAllText(Path.Combine(ConsolePaths.WebRoot, file));
            foreach (var banned in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "document.cookie" })
            {
                Assert.False(js.Contains(banned, StringComparison.Ordinal), $"{file} uses {banned}");
            }
            // Only this origin: no absolute URL to fetch from.
            Assert.DoesNotMatch(AbsoluteUrl(), js);
        }
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(ConsoleSecurityHeaders.ContentSecurityPolicy, csp);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineHandler();

    [GeneratedRegex(@"\sstyle\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleAttribute();

    [GeneratedRegex(@"https?://")]
    private static partial Regex AbsoluteUrl();
}
